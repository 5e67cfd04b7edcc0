"""Reading a JP PINT billing invoice (UBL 2.1) into plain values.

``document_read`` takes the tree that ``peppol.validation.parse_untrusted``
gave (no DTD, no entities, no network) and picks what the portal needs:
the parties' identifiers for routing, the dates, the lines and the tax
breakdown. It checks nothing but what it must to read a value; whether the
document is valid is ``peppol.validation``'s to say, whether the portal can
keep it as one of its invoices is ``peppol.inbound``'s.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}

SELLER = "cac:AccountingSupplierParty/cac:Party"
BUYER = "cac:AccountingCustomerParty/cac:Party"


class ReadError(ValueError):
    """A value the portal needs is missing or unreadable; the message (in
    Japanese) names the field."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    value: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}" if self.scheme else self.value


@dataclass(frozen=True)
class DocumentLine:
    position: int
    line_id: str
    description: str
    quantity: Decimal
    unit_code: str
    item_description: str
    price: Decimal
    base_quantity: Decimal
    amount: Decimal
    tax_category: str
    percent: Decimal | None
    allowance_charges: int
    note: str = ""  # IBT-127


@dataclass(frozen=True)
class DocumentAllowanceCharge:
    """A document-level allowance (IBG-20, ``charge`` false) or charge
    (IBG-21) with its tax category and rate."""

    charge: bool
    reason: str
    amount: Decimal
    tax_category: str
    percent: Decimal | None


@dataclass(frozen=True)
class DocumentTax:
    category: str
    percent: Decimal | None
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class PintDocument:
    """What the portal reads of one document."""

    root: str
    customization_id: str
    number: str
    type_code: str
    currency: str
    issue_date: date | None
    due_date: date | None
    period_start: date | None
    period_end: date | None
    buyer_reference: str
    order_reference: str
    notes: tuple[str, ...]
    billing_references: tuple[str, ...]
    seller_name: str
    seller_registration_number: str
    seller_endpoint: Endpoint | None
    seller_corporate_number: str
    seller_email: str
    seller_contact: str
    buyer_name: str
    buyer_endpoint: Endpoint | None
    allowance_charges: tuple[DocumentAllowanceCharge, ...]
    lines: tuple[DocumentLine, ...]
    taxes: tuple[DocumentTax, ...]
    line_total: Decimal | None
    tax_exclusive: Decimal | None
    tax_total: Decimal | None
    payable: Decimal | None
    extra: dict = field(default_factory=dict)


def _text(node, path: str) -> str:
    found = node.find(path, NS)
    if found is None or found.text is None:
        return ""
    return found.text.strip()


def _texts(node, path: str) -> tuple[str, ...]:
    return tuple(
        (e.text or "").strip() for e in node.findall(path, NS) if (e.text or "").strip()
    )


def _decimal(node, path: str, label: str, *, required: bool = True) -> Decimal | None:
    raw = _text(node, path)
    if not raw:
        if required:
            raise ReadError(gettext("%(label)sがありません。") % {"label": label})
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ReadError(_not_a_number(label, raw)) from None
    if not value.is_finite():
        raise ReadError(_not_a_number(label, raw))
    return value


def _not_a_number(label: str, raw: str) -> str:
    return gettext("%(label)s「%(value)s」が数値ではありません。") % {
        "label": label,
        "value": raw,
    }


def _date(node, path: str, label: str) -> date | None:
    raw = _text(node, path)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise ReadError(
            gettext("%(label)s「%(value)s」が日付（YYYY-MM-DD）ではありません。")
            % {"label": label, "value": raw}
        ) from None


def _endpoint(node, path: str) -> Endpoint | None:
    found = node.find(path, NS)
    if found is None or not (found.text or "").strip():
        return None
    return Endpoint(found.get("schemeID", "").strip(), found.text.strip())


def _line(position: int, node) -> DocumentLine:
    row = {"position": position}
    quantity_node = node.find("cbc:InvoicedQuantity", NS)
    return DocumentLine(
        position=position,
        line_id=_text(node, "cbc:ID"),
        description=_text(node, "cac:Item/cbc:Name"),
        quantity=_decimal(
            node, "cbc:InvoicedQuantity", gettext("%(position)s行目の明細の数量") % row
        ),
        item_description=_text(node, "cac:Item/cbc:Description"),
        note=_text(node, "cbc:Note"),
        unit_code=(
            quantity_node.get("unitCode", "") if quantity_node is not None else ""
        ),
        price=_decimal(
            node,
            "cac:Price/cbc:PriceAmount",
            gettext("%(position)s行目の明細の単価") % row,
        ),
        base_quantity=_decimal(
            node,
            "cac:Price/cbc:BaseQuantity",
            gettext("%(position)s行目の明細の基準数量") % row,
            required=False,
        )
        or Decimal(1),
        amount=_decimal(
            node,
            "cbc:LineExtensionAmount",
            gettext("%(position)s行目の明細の金額") % row,
        ),
        tax_category=_text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        percent=_decimal(
            node,
            "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
            gettext("%(position)s行目の明細の税率") % row,
            required=False,
        ),
        allowance_charges=len(node.findall("cac:AllowanceCharge", NS)),
    )


def _allowance_charge(position: int, node) -> DocumentAllowanceCharge:
    charge = _text(node, "cbc:ChargeIndicator") == "true"
    number = {"position": position}
    if charge:
        amount_label = gettext("%(position)s件目の追加料金（AllowanceCharge）の金額")
        percent_label = gettext("%(position)s件目の追加料金（AllowanceCharge）の税率")
    else:
        amount_label = gettext("%(position)s件目の値引き（AllowanceCharge）の金額")
        percent_label = gettext("%(position)s件目の値引き（AllowanceCharge）の税率")
    return DocumentAllowanceCharge(
        charge=charge,
        reason=_text(node, "cbc:AllowanceChargeReason"),
        amount=_decimal(node, "cbc:Amount", amount_label % number),
        tax_category=_text(node, "cac:TaxCategory/cbc:ID"),
        percent=_decimal(
            node, "cac:TaxCategory/cbc:Percent", percent_label % number, required=False
        ),
    )


def document_read(root) -> PintDocument:
    """The values of a parsed JP PINT document. Raises ``ReadError``."""
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace, _, local = (
        tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    )
    if namespace not in (UBL_INVOICE, UBL_INVOICE.replace("Invoice", "CreditNote")):
        raise ReadError(
            gettext(
                "UBL 2.1 の請求書（Invoice）ではありません。JP PINT形式のXMLを"
                "選んでください。"
            )
        )
    doc_currency = _text(root, "cbc:DocumentCurrencyCode")
    taxes = []
    for total in root.findall("cac:TaxTotal", NS):
        amount = total.find("cbc:TaxAmount", NS)
        if (
            amount is not None
            and amount.get("currencyID", doc_currency) != doc_currency
        ):
            continue  # the tax-accounting currency's total
        for sub in total.findall("cac:TaxSubtotal", NS):
            taxes.append(
                DocumentTax(
                    category=_text(sub, "cac:TaxCategory/cbc:ID"),
                    percent=_decimal(
                        sub,
                        "cac:TaxCategory/cbc:Percent",
                        gettext("税率"),
                        required=False,
                    ),
                    taxable_amount=_decimal(
                        sub, "cbc:TaxableAmount", gettext("税率ごとの対象金額")
                    ),
                    tax_amount=_decimal(
                        sub, "cbc:TaxAmount", gettext("税率ごとの消費税額")
                    ),
                )
            )
    lines = tuple(
        _line(position, node)
        for position, node in enumerate(
            root.findall("cac:InvoiceLine", NS)
            + root.findall("cac:CreditNoteLine", NS),
            start=1,
        )
    )
    seller = root.find(SELLER, NS)
    buyer = root.find(BUYER, NS)
    if seller is None or buyer is None:
        raise ReadError(
            gettext("売り手（AccountingSupplierParty）または買い手の情報がありません。")
        )
    corporate = ""
    legal_id = seller.find("cac:PartyLegalEntity/cbc:CompanyID", NS)
    if legal_id is not None and legal_id.get("schemeID") == "0188":
        corporate = (legal_id.text or "").strip()
    registration = ""
    for scheme in seller.findall("cac:PartyTaxScheme", NS):
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            registration = _text(scheme, "cbc:CompanyID")
            break
    return PintDocument(
        root=local,
        customization_id=_text(root, "cbc:CustomizationID"),
        number=_text(root, "cbc:ID"),
        type_code=_text(root, "cbc:InvoiceTypeCode")
        or _text(root, "cbc:CreditNoteTypeCode"),
        currency=doc_currency,
        issue_date=_date(root, "cbc:IssueDate", gettext("請求日（IssueDate）")),
        due_date=_date(root, "cbc:DueDate", gettext("支払期日（DueDate）")),
        period_start=_date(
            root, "cac:InvoicePeriod/cbc:StartDate", gettext("取引期間の開始日")
        )
        or _first_line_period(root)[0]
        or _date(root, "cac:Delivery/cbc:ActualDeliveryDate", gettext("納品日")),
        period_end=_date(
            root, "cac:InvoicePeriod/cbc:EndDate", gettext("取引期間の終了日")
        )
        or _first_line_period(root)[1],
        buyer_reference=_text(root, "cbc:BuyerReference"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        notes=_texts(root, "cbc:Note"),
        billing_references=_texts(
            root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
        ),
        seller_name=_text(seller, "cac:PartyLegalEntity/cbc:RegistrationName")
        or _text(seller, "cac:PartyName/cbc:Name"),
        seller_registration_number=registration,
        seller_endpoint=_endpoint(seller, "cbc:EndpointID"),
        seller_corporate_number=corporate,
        seller_email=_text(seller, "cac:Contact/cbc:ElectronicMail"),
        seller_contact=_text(seller, "cac:Contact/cbc:Name"),
        buyer_name=_text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName")
        or _text(buyer, "cac:PartyName/cbc:Name"),
        buyer_endpoint=_endpoint(buyer, "cbc:EndpointID"),
        allowance_charges=tuple(
            _allowance_charge(position, node)
            for position, node in enumerate(
                root.findall("cac:AllowanceCharge", NS), start=1
            )
        ),
        lines=lines,
        taxes=tuple(taxes),
        line_total=_decimal(
            root,
            "cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
            gettext("明細の合計"),
            required=False,
        ),
        tax_exclusive=_decimal(
            root,
            "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
            gettext("税抜合計"),
            required=False,
        ),
        tax_total=sum((t.tax_amount for t in taxes), Decimal(0)) if taxes else None,
        payable=_decimal(
            root,
            "cac:LegalMonetaryTotal/cbc:PayableAmount",
            gettext("請求金額"),
            required=False,
        ),
    )


def _first_line_period(root) -> tuple[date | None, date | None]:
    """The earliest start and latest end of the lines' periods, for a
    document without an invoice period (aligned-ibrp-052 allows either)."""
    starts, ends = [], []
    for node in root.findall("cac:InvoiceLine/cac:InvoicePeriod", NS):
        if start := _date(node, "cbc:StartDate", gettext("明細の取引期間の開始日")):
            starts.append(start)
        if end := _date(node, "cbc:EndDate", gettext("明細の取引期間の終了日")):
            ends.append(end)
    return (min(starts) if starts else None, max(ends) if ends else None)
