"""Receiving JP PINT documents: uploads by suppliers, documents from the
access point or the inbox folder, and the city's 「宛先不明」 queue.

``inbound_check`` reads and checks one document without writing anything:
the safe parse and validation of ``peppol.validation``, whether the portal
can keep it as one of its invoices (what a screen-entered invoice can hold,
with the same arithmetic), and where it goes (municipality by the buyer's
0188 corporate number, department by BuyerReference, supplier by the
seller's registration number or endpoint). ``inbound_receive`` stores the
original unchanged with its SHA-256 and imports it through the screen-entry
services (``invoice_draft_save`` then ``invoice_issue``) when everything is
known, or keeps it in the queue with the reason. The same bytes twice give
the same document, never a second invoice.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils.translation import gettext
from django_scopes import scope, scopes_disabled

from invoices.models import Invoice, InvoiceStatus, TaxCategory
from invoices.services import LineInput, invoice_draft_save, invoice_issue
from invoices.tax import invoice_totals, line_amount
from municipality.models import Department, Municipality
from partners.models import (
    Connection,
    PriceBasis,
    Supplier,
    SupplierMembership,
    SupplierRole,
)
from peppol.access_point.services import inbound_response_request
from peppol.models import InboundDocument, InboundSource, InboundStatus
from peppol.reader import DocumentLine, PintDocument, ReadError, document_read
from peppol.validation import DocumentRejected, document_problems, parse_untrusted

logger = logging.getLogger(__name__)

# UN/ECE Recommendation 20/21 units shown as people write them.
UNIT_LABELS = {
    "H87": "個",
    "EA": "個",
    "C62": "",
    "SET": "式",
    "LS": "式",
    "HUR": "時間",
    "DAY": "日",
    "MON": "月",
    "KGM": "kg",
    "GRM": "g",
    "LTR": "L",
    "MTR": "m",
    "MTK": "m²",
    "BX": "箱",
    "PK": "パック",
    "XBX": "箱",
}
UNIT_PREFIX = "単位: "
QUANTITY_PLACES = Decimal("0.001")
NUMBER_LIMIT = 40  # Invoice.number
TEXT_LIMIT = 200  # InvoiceLine.description


@dataclass
class CheckResult:
    """What one document is and where it goes. ``problems`` are fatal
    (rule, message, location) dicts: the document cannot become an invoice.
    ``unknown`` says why it cannot be routed (the 宛先不明 queue)."""

    filename: str
    sha256: str
    document: PintDocument | None = None
    problems: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    municipality: Municipality | None = None
    department: Department | None = None
    supplier: Supplier | None = None
    connection: Connection | None = None
    fields: dict = field(default_factory=dict)
    lines: list[LineInput] = field(default_factory=list)
    totals: object = None

    @property
    def importable(self) -> bool:
        return not self.problems and not self.unknown and self.connection is not None


def _problem(rule: str, message: str, location: str = "") -> dict:
    return {"rule": rule, "message": message, "location": location}


def _supplier_for(document: PintDocument) -> Supplier | None:
    """The seller among the portal's suppliers: registration number, else
    the endpoint (0221 registration number or 0188 corporate number), else
    the legal entity's corporate number."""
    candidates = []
    if document.seller_registration_number:
        candidates.append(("registration_number", document.seller_registration_number))
    endpoint = document.seller_endpoint
    if endpoint and endpoint.scheme == "0221":
        candidates.append(("registration_number", endpoint.value))
    if endpoint and endpoint.scheme == "0188":
        candidates.append(("corporate_number", endpoint.value))
    if document.seller_corporate_number:
        candidates.append(("corporate_number", document.seller_corporate_number))
    for name, value in candidates:
        if supplier := Supplier.objects.filter(**{name: value}).first():
            return supplier
    return None


def _route(result: CheckResult, document: PintDocument, supplier) -> None:
    """Municipality, supplier, department and connection of the document,
    or the reasons why one of them is unknown."""
    buyer = document.buyer_endpoint
    if buyer is None or buyer.scheme != "0188":
        result.unknown.append(
            gettext(
                "宛先（買い手のEndpointID）が自治体の法人番号（0188）ではありません"
                "（%(buyer)s）。"
            )
            % {"buyer": buyer or "なし"}
        )
    else:
        result.municipality = Municipality.objects.filter(
            corporate_number=buyer.value, is_active=True
        ).first()
        if result.municipality is None:
            result.unknown.append(
                gettext(
                    "法人番号 %(number)s の自治体は、このポータルに登録されていません。"
                    "宛先（AccountingCustomerParty/EndpointID）を確認してください。"
                )
                % {"number": buyer.value}
            )
    seller = _supplier_for(document)
    if supplier is not None and seller != supplier:
        result.problems.append(
            _problem(
                "portal-seller",
                gettext(
                    "この文書の売り手（%(name)s、登録番号 %(number)s）はあなたの"
                    "事業者ではありません。自社が売り手の請求書だけをアップロード"
                    "できます。"
                )
                % {
                    "name": document.seller_name or "名称なし",
                    "number": document.seller_registration_number or "なし",
                },
                "AccountingSupplierParty",
            )
        )
        return
    result.supplier = seller
    if seller is None:
        result.unknown.append(
            gettext(
                "売り手（登録番号 %(number)s、%(name)s）はこのポータルの取引先として"
                "登録されていません。"
            )
            % {
                "number": document.seller_registration_number or "なし",
                "name": document.seller_name or "名称なし",
            }
        )
    if result.municipality is None:
        return
    with scope(municipality=result.municipality.pk):
        departments = Department.objects.filter(municipality=result.municipality)
        connections = Connection.objects.filter(
            municipality=result.municipality, supplier=seller, is_active=True
        ).select_related("department", "municipality")
        if document.buyer_reference:
            result.department = departments.filter(
                code=document.buyer_reference
            ).first()
            if result.department is None:
                result.unknown.append(
                    gettext(
                        "%(city)sに部署コード「%(code)s」（BuyerReference）の部署は"
                        "ありません。"
                    )
                    % {
                        "city": result.municipality.name,
                        "code": document.buyer_reference,
                    }
                )
                return
        elif seller is not None:
            # No BuyerReference: a supplier that works with only one
            # department of the city means that department.
            only = list(connections.filter(department__is_active=True)[:2])
            if len(only) == 1:
                result.department = only[0].department
        if result.department is None:
            result.unknown.append(
                gettext(
                    "宛先の部署が分かりません。部署コードを BuyerReference に"
                    "記載してください。"
                )
            )
            return
        if seller is None:
            return
        result.connection = connections.filter(
            department=result.department, department__is_active=True
        ).first()
        if result.connection is None:
            result.unknown.append(
                gettext(
                    "%(name)s は %(city)s %(department)s とまだ取引の登録がないか、"
                    "登録が無効です。自治体からの招待を承諾してから送ってください。"
                )
                % {
                    "name": seller.legal_name,
                    "city": result.municipality.name,
                    "department": result.department.name,
                }
            )


def _unit(line: DocumentLine) -> str:
    """The unit as people write it: as typed when the document says so
    (``peppol.ubl`` writes 「単位: 本」 for a unit without its own code),
    else the label of the UN/ECE code."""
    if line.item_description.startswith(UNIT_PREFIX):
        return line.item_description[len(UNIT_PREFIX) :].strip()[:20]
    return UNIT_LABELS.get(line.unit_code, line.unit_code)[:20]


def _unit_price(line: DocumentLine) -> Decimal | None:
    """The net price of one unit, or ``None`` when the portal cannot hold
    it (more than three decimals)."""
    if line.allowance_charges:
        # Line allowances and charges are in the line amount: the net price
        # of one unit is what the portal keeps, when it is exact.
        price = line.amount / line.quantity
    else:
        price = line.price / line.base_quantity
    exact = price.quantize(QUANTITY_PLACES)
    return exact if exact == price else None


def _lines(result: CheckResult, document: PintDocument, rounding: str) -> None:
    """The lines as screen entry keeps them, each with the document's own
    amount, or a problem naming the line."""
    for line in document.lines:
        where = gettext("%(n)s行目の明細（%(name)s）") % {
            "n": line.position,
            "name": line.description[:30] or line.line_id,
        }
        if line.quantity <= 0 or line.amount < 0:
            result.problems.append(
                _problem(
                    "portal-negative-line",
                    gettext(
                        "%(where)s: 数量または金額がマイナスです。返品・値引きの"
                        "マイナスの明細はこのポータルでは受け付けていません。"
                        "訂正が必要な場合は、差戻しを受けてから訂正した請求書を"
                        "送ってください。"
                    )
                    % {"where": where},
                    f"cac:InvoiceLine[{line.position}]",
                )
            )
            continue
        if line.quantity != line.quantity.quantize(QUANTITY_PLACES):
            result.problems.append(
                _problem(
                    "portal-quantity",
                    gettext("%(where)s: 数量 %(q)s の小数は3桁までにしてください。")
                    % {"where": where, "q": line.quantity},
                    f"cac:InvoiceLine[{line.position}]/cbc:InvoicedQuantity",
                )
            )
            continue
        if line.tax_category not in TaxCategory.values:
            result.problems.append(
                _problem(
                    "portal-tax-category",
                    gettext(
                        "%(where)s: 税区分「%(category)s」は使えません"
                        "（S・AA・E・O・G のいずれか）。"
                    )
                    % {"where": where, "category": line.tax_category},
                    f"cac:InvoiceLine[{line.position}]/cac:Item/cac:ClassifiedTaxCategory",
                )
            )
            continue
        if not line.description or len(line.description) > TEXT_LIMIT:
            result.problems.append(
                _problem(
                    "portal-item-name",
                    gettext(
                        "%(where)s: 品名（Item/Name）は1〜%(limit)s文字にしてください。"
                    )
                    % {"where": where, "limit": TEXT_LIMIT},
                    f"cac:InvoiceLine[{line.position}]/cac:Item/cbc:Name",
                )
            )
            continue
        price = _unit_price(line)
        if (
            price is None
            or line_amount(quantity=line.quantity, unit_price=price, rounding=rounding)
            != line.amount
        ):
            result.problems.append(
                _problem(
                    "portal-line-amount",
                    gettext(
                        "%(where)s: 金額 %(amount)s円 が数量 %(q)s × 単価 %(price)s "
                        "（事業者情報の端数処理）と一致しません。単価（小数3桁まで）と"
                        "金額を確認してください。"
                    )
                    % {
                        "where": where,
                        "amount": line.amount,
                        "q": line.quantity,
                        "price": line.price,
                    },
                    f"cac:InvoiceLine[{line.position}]/cbc:LineExtensionAmount",
                )
            )
            continue
        result.lines.append(
            LineInput(
                description=line.description,
                quantity=line.quantity,
                unit_price=price,
                tax_category=line.tax_category,
                unit=_unit(line),
            )
        )


def _representable(result: CheckResult, document: PintDocument, supplier) -> None:
    """What a screen-entered invoice can hold, computed the same way."""
    problems = result.problems
    if document.root != "Invoice" or document.type_code != "380":
        problems.append(
            _problem(
                "portal-document-type",
                gettext(
                    "請求書（Invoice、種類 380）だけを受け付けています（この文書は "
                    "%(root)s %(code)s）。クレジットノートではなく、訂正した請求書を"
                    "送ってください。"
                )
                % {"root": document.root, "code": document.type_code},
                "cbc:InvoiceTypeCode",
            )
        )
        return
    if document.currency != "JPY":
        problems.append(
            _problem(
                "portal-currency",
                gettext(
                    "通貨が %(currency)s です。自治体への請求書は日本円（JPY）で"
                    "作成してください。"
                )
                % {"currency": document.currency or "なし"},
                "cbc:DocumentCurrencyCode",
            )
        )
    if document.document_allowance_charges:
        problems.append(
            _problem(
                "portal-allowance-charge",
                gettext(
                    "請求書全体の値引き・追加料金（AllowanceCharge）が%(n)s件あります。"
                    "このポータルでは受け付けていません。値引き・料金を明細の金額に"
                    "含めて作成し直してください。"
                )
                % {"n": document.document_allowance_charges},
                "cac:AllowanceCharge",
            )
        )
    if not document.number or len(document.number) > NUMBER_LIMIT:
        problems.append(
            _problem(
                "portal-number",
                gettext("請求書番号（cbc:ID）は1〜%(limit)s文字にしてください。")
                % {"limit": NUMBER_LIMIT},
                "cbc:ID",
            )
        )
    if document.issue_date is None or document.period_start is None:
        problems.append(
            _problem(
                "portal-dates",
                gettext(
                    "請求日（IssueDate）と取引日（InvoicePeriod または明細の期間・"
                    "納品日）が必要です。"
                ),
                "cbc:IssueDate",
            )
        )
    owner = supplier or result.supplier
    if owner is None or problems:
        return
    if owner is not None and document.number:
        taken = (
            Invoice.objects.with_scopes_disabled()
            .filter(supplier=owner, number=document.number)
            .exists()
        )
        if taken:
            problems.append(
                _problem(
                    "portal-number-taken",
                    gettext(
                        "請求書番号 %(number)s はすでに使われています。同じ請求書を"
                        "二重に送っていないか確認してください。"
                    )
                    % {"number": document.number},
                    "cbc:ID",
                )
            )
    _lines(result, document, owner.tax_rounding)
    if result.problems:
        return
    totals = invoice_totals(
        lines=[
            (
                line.tax_category,
                line_amount(
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    rounding=owner.tax_rounding,
                ),
            )
            for line in result.lines
        ],
        price_basis=PriceBasis.EXCLUSIVE,
        rounding=owner.tax_rounding,
    )
    ours = {b.category: (b.taxable_amount, b.tax_amount) for b in totals.buckets}
    theirs = {t.category: (t.taxable_amount, t.tax_amount) for t in document.taxes}
    if ours != theirs:
        problems.append(
            _problem(
                "portal-tax-total",
                gettext(
                    "税率ごとの合計と消費税額が、明細から計算した値（事業者情報の"
                    "端数処理「%(rounding)s」）と一致しません。文書: %(theirs)s、"
                    "計算: %(ours)s。端数処理の設定と税率別内訳を確認してください。"
                )
                % {
                    "rounding": owner.get_tax_rounding_display(),
                    "theirs": _buckets_text(theirs),
                    "ours": _buckets_text(ours),
                },
                "cac:TaxTotal",
            )
        )
        return
    result.totals = totals
    notes = list(document.notes)
    if document.order_reference:
        notes.append(gettext("注文番号: %(n)s") % {"n": document.order_reference})
    if document.billing_references:
        notes.append(
            gettext("訂正元の請求書: %(n)s")
            % {"n": "、".join(document.billing_references)}
        )
    end = document.period_end
    result.fields = {
        "number": document.number,
        "issue_date": document.issue_date,
        "transaction_date": document.period_start,
        "transaction_end_date": end if end and end != document.period_start else None,
        "due_date": document.due_date,
        "subject": "",
        "notes": "\n".join(notes),
        "price_basis": PriceBasis.EXCLUSIVE,
    }


def _buckets_text(buckets: dict) -> str:
    return "、".join(
        f"{category} 対象{taxable}円・税{tax}円"
        for category, (taxable, tax) in sorted(buckets.items())
    )


def inbound_check(
    *, xml: bytes, filename: str = "", supplier: Supplier | None = None
) -> CheckResult:
    """Read, validate and route one document; write nothing. With
    ``supplier`` (an upload), the document must be that supplier's own."""
    result = CheckResult(filename=filename, sha256=hashlib.sha256(xml).hexdigest())
    try:
        root = parse_untrusted(xml)
        found = document_problems(xml)
    except DocumentRejected as error:
        result.problems.append(_problem("XML", error.message_ja))
        return result
    for problem in found:
        entry = _problem(problem.rule, str(problem.message), problem.location)
        (result.problems if problem.is_fatal else result.warnings).append(entry)
    try:
        document = document_read(root)
    except ReadError as error:
        result.problems.append(_problem("portal-read", str(error)))
        return result
    result.document = document
    with scopes_disabled():
        _route(result, document, supplier)
        _representable(result, document, supplier)
    return result


# Receiving ------------------------------------------------------------------


def _actor_of(supplier: Supplier, actor):
    """Who the invoice is created by: the uploading member, else one of the
    supplier's owners (a document from the access point is the supplier's
    own act)."""
    membership = getattr(actor, "supplier_membership", None) if actor else None
    if membership is not None and membership.supplier_id == supplier.pk:
        return actor
    owner = (
        SupplierMembership.objects.filter(supplier=supplier)
        .order_by(
            Case(When(role=SupplierRole.OWNER, then=0), default=1), "created_at", "pk"
        )
        .select_related("user")
        .first()
    )
    return owner.user if owner else None


class InboundImportError(Exception):
    """The document could not become an invoice; ``problems`` say why."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("; ".join(p["message"] for p in problems))


def _invoice_create(*, result: CheckResult, actor) -> Invoice:
    """Create and issue the invoice through the screen-entry services, in
    the municipality's scope. Raises ``InboundImportError``."""
    creator = _actor_of(result.supplier, actor)
    if creator is None:
        raise InboundImportError(
            [
                _problem(
                    "portal-no-member",
                    gettext(
                        "取引先 %(name)s に利用者がいないため、請求書を作成できません。"
                    )
                    % {"name": result.supplier.legal_name},
                )
            ]
        )
    try:
        with scope(municipality=result.municipality.pk), transaction.atomic():
            invoice = invoice_draft_save(
                supplier=result.supplier,
                actor=creator,
                connection=result.connection,
                fields=result.fields,
                lines=result.lines,
            )
            invoice = invoice_issue(invoice=invoice, actor=creator)
    except ValidationError as error:
        raise InboundImportError(
            [_problem("portal-service", message) for message in error.messages]
        ) from error
    return invoice


def _document_fill(document: InboundDocument, result: CheckResult) -> None:
    parsed = result.document
    if parsed is not None:
        if parsed.seller_endpoint:
            document.sender_scheme = parsed.seller_endpoint.scheme[:10]
            document.sender_id = parsed.seller_endpoint.value[:100]
        if parsed.buyer_endpoint:
            document.buyer_scheme = parsed.buyer_endpoint.scheme[:10]
            document.buyer_id = parsed.buyer_endpoint.value[:100]
        document.buyer_reference = parsed.buyer_reference[:100]
        document.document_number = parsed.number[:100]
        document.seller_registration_number = parsed.seller_registration_number[:20]
        document.seller_name = parsed.seller_name[:200]
    document.municipality = result.municipality
    document.department = result.department
    document.supplier = result.supplier
    document.problems = result.problems + [
        {**w, "warning": True} for w in result.warnings
    ]


def _import_or_queue(document: InboundDocument, result: CheckResult, actor) -> None:
    """Set the document's outcome from its check (and import it)."""
    if result.problems:
        document.status = InboundStatus.FAILED
        document.reason = "\n".join(p["message"] for p in result.problems)
    elif not result.importable:
        document.status = InboundStatus.UNKNOWN_ADDRESSEE
        document.reason = "\n".join(result.unknown)
    else:
        try:
            with transaction.atomic():
                document.invoice = _invoice_create(result=result, actor=actor)
        except InboundImportError as error:
            document.status = InboundStatus.FAILED
            document.problems = document.problems + error.problems
            document.reason = str(error)
        else:
            document.status = InboundStatus.IMPORTED
            document.reason = ""


def inbound_receive(
    *,
    xml: bytes,
    filename: str,
    source: str,
    supplier: Supplier | None = None,
    actor=None,
) -> InboundDocument:
    """Keep one received document and act on it: import it as an issued
    invoice when its municipality, department and supplier are known and
    connected, else queue it (宛先不明) or record why it failed. The same
    bytes a second time return the document already kept.

    ``supplier`` (an upload) means the document must be that supplier's.
    Never raises for a bad document: the outcome is the document's status.
    """
    if source not in InboundSource.values:
        raise ValueError(f"unknown inbound source {source!r}")
    sha256 = hashlib.sha256(xml).hexdigest()
    with scopes_disabled():
        if existing := InboundDocument.objects.filter(sha256=sha256).first():
            return existing
    result = inbound_check(xml=xml, filename=filename, supplier=supplier)
    with scopes_disabled(), transaction.atomic():
        document = InboundDocument(
            source=source,
            sha256=sha256,
            size=len(xml),
            filename=filename[-200:],
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        document.file.save("document.xml", ContentFile(xml), save=False)
        _document_fill(document, result)
        _import_or_queue(document, result, actor)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            # The same bytes arrived at the same moment: the first is kept.
            existing = InboundDocument.objects.filter(sha256=sha256).first()
            if existing is None:
                raise
            return existing
    logger.info("inbound document %s from %s: %s", document.pk, source, document.status)
    return document


def _read_original(document: InboundDocument) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


QUEUE_STATUSES = (InboundStatus.UNKNOWN_ADDRESSEE, InboundStatus.FAILED)


@transaction.atomic
def inbound_assign(*, document: InboundDocument, department: Department, actor):
    """A city administrator sends a queued document to ``department``:
    imported as an issued invoice when its sender is a supplier connected
    to that department. Raises ``ValidationError`` (nothing changes)."""
    document = (
        InboundDocument.objects.with_scopes_disabled()
        .select_for_update()
        .get(pk=document.pk)
    )
    if document.status != InboundStatus.UNKNOWN_ADDRESSEE:
        raise ValidationError(
            gettext("この文書はすでに対応済みです（%(status)s）。")
            % {"status": document.get_status_display()}
        )
    if department.municipality_id != document.municipality_id:
        raise ValidationError(gettext("部署を一覧から選び直してください。"))
    result = inbound_check(xml=_read_original(document), filename=document.filename)
    if result.problems:
        raise ValidationError([p["message"] for p in result.problems])
    if result.supplier is None:
        raise ValidationError(
            gettext(
                "送信者はまだこのポータルの取引先ではありません。先に招待して、"
                "取引の登録が済んでから部署を割り当ててください。"
            )
        )
    connection = (
        Connection.objects.with_scopes_disabled()
        .filter(
            municipality=document.municipality,
            supplier=result.supplier,
            department=department,
            is_active=True,
        )
        .select_related("department", "municipality")
        .first()
    )
    if connection is None or not department.is_active:
        raise ValidationError(
            gettext(
                "%(name)s は %(department)s と取引の登録がないか、登録が無効です。"
                "先に招待して、取引の登録が済んでから割り当ててください。"
            )
            % {"name": result.supplier.legal_name, "department": department.name}
        )
    result.municipality = document.municipality
    result.department = department
    result.connection = connection
    result.unknown = []
    try:
        invoice = _invoice_create(result=result, actor=None)
    except InboundImportError as error:
        raise ValidationError([p["message"] for p in error.problems]) from error
    document.supplier = result.supplier
    document.department = department
    document.invoice = invoice
    document.status = InboundStatus.IMPORTED
    document.decided_by = actor
    document.reason = ""
    document.save()
    return document


# Invoice Response status action codes a return asks for (OPStatusAction).
REJECTION_ACTIONS = {
    "NIN": "訂正した請求書を新たに発行してください",
    "PIN": "情報を追加して送り直してください",
    "CNF": "全額を取り消してください",
    "OTH": "その他（理由を参照）",
}


@transaction.atomic
def inbound_reject(*, document: InboundDocument, actor, reason: str, action: str):
    """The city refuses a queued document (受取拒否) with a stated reason and
    the action it asks of the sender (an Invoice Response action code). The
    reason is recorded; the access-point adapter hooks in here to send the
    Invoice Response RE. Raises ``ValidationError``."""
    document = (
        InboundDocument.objects.with_scopes_disabled()
        .select_for_update()
        .get(pk=document.pk)
    )
    if document.status not in QUEUE_STATUSES:
        raise ValidationError(
            gettext("この文書はすでに対応済みです（%(status)s）。")
            % {"status": document.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError(gettext("受取拒否の理由を入力してください。"))
    if action not in REJECTION_ACTIONS:
        raise ValidationError(gettext("求める対応を選んでください。"))
    document.status = InboundStatus.REJECTED
    document.reason = reason.strip()
    document.rejection_action = action
    document.decided_by = actor
    document.save()
    inbound_response_request(document=document)
    return document


def inbound_for_invoice(invoice: Invoice) -> InboundDocument | None:
    """The received document an invoice was imported from, if any."""
    if invoice.status == InvoiceStatus.DRAFT:
        return None
    return (
        InboundDocument.objects.with_scopes_disabled()
        .filter(invoice=invoice, status=InboundStatus.IMPORTED)
        .first()
    )


def inbound_original(document: InboundDocument) -> bytes:
    return _read_original(document)
