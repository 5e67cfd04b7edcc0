"""JP PINT billing invoices (UBL 2.1) built from an issued invoice's frozen
snapshot, with lxml (reference jp-pint-peppol.md §1).

The output is deterministic: the same snapshot gives the same bytes. Amounts
are whole yen except unit prices; the tax per category and rate is the one
the portal computed and printed. JP PINT knows only tax-exclusive amounts
(ibt-116, ibt-131), so a tax-inclusive (税込) invoice is stated as its
tax-exclusive equivalent: per rate, taxable amount = the inclusive sum − the
tax, spread over the lines in proportion; what the city pays is unchanged.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.translation import gettext, gettext_noop
from lxml import etree

from invoices.models import TAX_RATES, TaxCategory
from partners.models import PriceBasis

CUSTOMIZATION_ID = "urn:peppol:pint:billing-1@jp-1"
PROFILE_ID = "urn:peppol:bis:billing"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP = {None: INVOICE_NS, "cac": CAC, "cbc": CBC}
CURRENCY = "JPY"

SCHEME_CORPORATE_NUMBER = "0188"  # 法人番号 (JP:SST)
SCHEME_REGISTRATION_NUMBER = "0221"  # 適格請求書発行事業者登録番号 (JP:IIN)

# UN/ECE Recommendation 20/21 codes for the units people type most; anything
# else is a piece (H87), with the unit as typed in the item description.
UNIT_CODES = {
    "": "H87",
    "個": "H87",
    "点": "H87",
    "台": "H87",
    "本": "H87",
    "枚": "H87",
    "冊": "H87",
    "部": "H87",
    "箱": "XBX",
    "式": "LS",
    "一式": "LS",
    "件": "C62",
    "回": "C62",
    "人": "IE",
    "名": "IE",
    "時間": "HUR",
    "h": "HUR",
    "日": "DAY",
    "月": "MON",
    "ヶ月": "MON",
    "か月": "MON",
    "年": "ANN",
    "kg": "KGM",
    "g": "GRM",
    "t": "TNE",
    "l": "LTR",
    "L": "LTR",
    "m": "MTR",
    "km": "KMT",
    "m2": "MTK",
    "㎡": "MTK",
    "m3": "MTQ",
    "㎥": "MTQ",
}

# The portal's categories are JP PINT's codes (S 10, AA 8, E, O, G).
PORTAL_CATEGORIES = {c.value for c in TaxCategory}

# 源泉徴収の区分 as written in the XML (document content: Japanese).
WITHHOLDING_KINDS = {
    "general": gettext_noop("報酬・料金"),
    "scrivener": gettext_noop("司法書士・土地家屋調査士・海事代理士の報酬"),
}


class JpPintUnavailable(Exception):  # noqa: N818
    """This invoice cannot be stated as a JP PINT billing invoice; the
    message (Japanese) says why and what to do."""


def _cbc(parent: etree._Element, tag: str, text, **attrs) -> etree._Element:
    el = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrib=attrs)
    el.text = str(text)
    return el


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _amount(parent: etree._Element, name: str, value) -> etree._Element:
    return _cbc(parent, name, _plain(Decimal(value)), currencyID=CURRENCY)


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros ("2.500" → "2.5")."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def _percent(category: str) -> Decimal:
    return TAX_RATES[category] * 100


def unit_code(unit: str) -> str:
    return UNIT_CODES.get(unit.strip(), "H87")


def _tax_category(parent: etree._Element, name: str, category: str) -> None:
    el = _cac(parent, name)
    _cbc(el, "ID", category)
    if category != TaxCategory.OUT_OF_SCOPE:
        # O carries no rate (aligned-ibrp-o-05..07).
        _cbc(el, "Percent", _plain(_percent(category)))
    _cbc(_cac(el, "TaxScheme"), "ID", "VAT")


def _address(parent: etree._Element, *, postal_code: str, address: str) -> None:
    el = _cac(parent, "PostalAddress")
    if postal_code:
        _cbc(el, "PostalZone", postal_code)
    if address:
        _cbc(_cac(el, "AddressLine"), "Line", address)
    _cbc(_cac(el, "Country"), "IdentificationCode", "JP")


def _exclusive_base(inclusive: int, tax: int, percent: Decimal) -> int:
    """The tax-exclusive taxable amount for an inclusive sum and its tax.

    Usually ``inclusive - tax``. JP PINT requires the tax within floor and
    ceiling of taxable × rate (aligned-ibrp-051-jp); for a few sums (e.g.
    10 yen with 切り捨て: tax 0, but 10 × 10% = 1) the plain difference is
    outside, and the nearest amount inside is used; the difference (±1 yen)
    goes into PayableRoundingAmount so the amount paid stays the same."""
    base = inclusive - tax
    if not percent:
        return base
    for _step in range(100):
        exact = Decimal(base) * percent / 100
        low = exact.to_integral_value(ROUND_FLOOR)
        high = exact.to_integral_value(ROUND_CEILING)
        if low <= tax <= high:
            return base
        base += 1 if tax > high else -1
    raise JpPintUnavailable(  # pragma: no cover - arithmetic cannot get here
        gettext("税込金額 %(amount)s 円の税抜換算ができませんでした。")
        % {"amount": inclusive}
    )


def _spread(amounts: list[int], total: int, percent: Decimal) -> list[int]:
    """``total`` split over ``amounts`` in proportion, whole yen, exactly
    (largest remainder; ties go to the earlier line). Discount and return
    lines are negative; a rate's net is never negative (the services refuse
    it), and when it is 0 (a sale fully returned) each line is converted at
    100 / (100 + rate)."""
    whole = sum(amounts)
    numerator, denominator = (total, whole) if whole else (100, 100 + int(percent))
    shares, remainders = [], []
    for index, amount in enumerate(amounts):
        share, remainder = divmod(amount * numerator, denominator)
        shares.append(share)
        remainders.append((remainder * (1 if denominator > 0 else -1), -index))
    left = total - sum(shares)
    for _remainder, negative_index in sorted(remainders, reverse=True)[:left]:
        shares[-negative_index] += 1
    return shares


def _lines_and_breakdown(snapshot: dict):
    """Tax-exclusive lines and per-category (taxable, tax), plus the
    rounding amount (see :func:`_exclusive_base`)."""
    lines = snapshot["lines"]
    summaries = {s["tax_category"]: s for s in snapshot["tax_summaries"]}
    inclusive = snapshot.get("price_basis") == PriceBasis.INCLUSIVE
    exclusive_amounts = {
        line["position"]: int(Decimal(line["amount"])) for line in lines
    }
    breakdown = {}
    rounding = 0
    for category, summary in summaries.items():
        taxable = int(Decimal(summary["taxable_amount"]))
        tax = int(Decimal(summary["tax_amount"]))
        if inclusive:
            base = _exclusive_base(taxable, tax, _percent(category))
            rounding += taxable - tax - base
            own = [line for line in lines if line["tax_category"] == category]
            shares = _spread(
                [int(Decimal(line["amount"])) for line in own],
                base,
                _percent(category),
            )
            for line, share in zip(own, shares, strict=True):
                exclusive_amounts[line["position"]] = share
            taxable = base
        breakdown[category] = (taxable, tax)
    return exclusive_amounts, breakdown, rounding


def _net_price(line: dict, amount: int, *, inclusive: bool) -> tuple[Decimal, Decimal]:
    """(PriceAmount, BaseQuantity or 0) for a line. Net prices are never
    negative (ibr-027); a price that does not divide evenly is given for
    the line's whole quantity."""
    quantity = Decimal(line["quantity"])
    if not inclusive:
        return abs(Decimal(line["unit_price"])), Decimal(0)
    if quantity == 0:
        return abs(Decimal(amount)), Decimal(0)
    price = abs(Decimal(amount)) / abs(quantity)
    if price == price.quantize(Decimal("0.0001")):
        return price, Decimal(0)
    return abs(Decimal(amount)), abs(quantity)


def _check_issuable(invoice, snapshot: dict) -> None:
    supplier = snapshot["supplier"]
    if not supplier.get("registration_number"):
        raise JpPintUnavailable(
            gettext(
                "請求書 %(number)s の請求者に登録番号（適格請求書発行事業者登録番号）が"
                "ないため、JP PINT（適格請求書）の XML は作成できません。"
                "PDF をご利用ください。"
            )
            % {"number": snapshot.get("number", "")}
        )
    unknown = {line["tax_category"] for line in snapshot["lines"]} - PORTAL_CATEGORIES
    if unknown:
        raise JpPintUnavailable(
            gettext("税区分 %(categories)s は JP PINT で表せません。")
            % {"categories": ", ".join(sorted(unknown))}
        )
    if not invoice.municipality.corporate_number:
        raise JpPintUnavailable(
            gettext(
                "%(municipality)s の法人番号が設定されていないため、宛先の Peppol ID を"
                "記載できません。システム管理者に設定を依頼してください。"
            )
            % {"municipality": invoice.municipality.name}
        )


def _withholding_texts(snapshot: dict) -> tuple[str, str] | None:
    """(the invoice note's sentence, the payment terms) for an invoice with
    withholding income tax (源泉徴収), or ``None``.

    JP PINT has no element for withholding income tax: it is neither a
    consumption tax (TaxTotal) nor a payment already made. PayableAmount
    stays what the rules require, TaxInclusiveAmount − PrepaidAmount +
    PayableRoundingAmount (ibr-co-16), i.e. the invoice's total; stating the
    withheld tax as PrepaidAmount would claim a payment nobody made. The
    amount the city transfers (差引請求額) is stated in words instead: in the
    note (ibt-022) and in the payment terms (ibt-020), the place BIS gives
    for how the invoice is to be paid."""
    withholding = snapshot.get("withholding")
    if not withholding:
        return None
    values = {
        "kind": WITHHOLDING_KINDS.get(withholding["kind"], withholding["kind"]),
        "base": f"{int(Decimal(withholding['base'])):,}",
        "tax": f"{int(Decimal(withholding['tax'])):,}",
        "net": f"{int(Decimal(withholding['net_total'])):,}",
        "total": f"{int(Decimal(snapshot['total'])):,}",
    }
    note = (
        gettext_noop(
            "源泉徴収税額 %(tax)s円（%(kind)s、対象額（税抜）%(base)s円）。"
            "差引請求額 %(net)s円。"
        )
        % values
    )
    terms = (
        gettext_noop(
            "差引請求額 %(net)s円をお支払いください（請求金額 %(total)s円から"
            "源泉徴収税額 %(tax)s円を差し引いた額。源泉徴収税額は支払者が"
            "税務署に納付します）。"
        )
        % values
    )
    return note, terms


def _despatch_documents(snapshot: dict) -> list[str]:
    """The delivery notes (納品書) the lines bill, in line order. One is
    stated once for the whole invoice (ibt-016); several on their lines
    (ibt-184), since the document level allows one at most (ibr-096) and
    not beside line references (ibr-092)."""
    numbers = []
    for line in sorted(snapshot["lines"], key=lambda item: item["position"]):
        number = line.get("delivery_number")
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def invoice_ubl(invoice) -> bytes:
    """The JP PINT billing invoice (UBL 2.1 XML, UTF-8) of an issued
    invoice, from its frozen ``snapshot``. Raises :class:`JpPintUnavailable`
    when the invoice cannot be stated in JP PINT."""
    snapshot = invoice.snapshot
    if not snapshot:
        raise JpPintUnavailable(
            gettext(
                "下書きの請求書には JP PINT の XML はありません。発行後に作成されます。"
            )
        )
    _check_issuable(invoice, snapshot)
    supplier = snapshot["supplier"]
    addressee = snapshot["addressee"]
    municipality = invoice.municipality
    inclusive = snapshot.get("price_basis") == PriceBasis.INCLUSIVE
    exclusive_amounts, breakdown, rounding = _lines_and_breakdown(snapshot)

    root = etree.Element(f"{{{INVOICE_NS}}}Invoice", nsmap=NSMAP)
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", snapshot["number"])
    _cbc(root, "IssueDate", snapshot["issue_date"])
    if snapshot.get("due_date"):
        _cbc(root, "DueDate", snapshot["due_date"])
    _cbc(root, "InvoiceTypeCode", "380")
    # One note only (ibr-sr-51): the subject, the remarks, and for a
    # tax-inclusive invoice how its amounts are stated.
    # Text inside the XML is document content: Japanese, whoever downloads.
    notes = [snapshot.get("subject", ""), snapshot.get("notes", "")]
    withholding = _withholding_texts(snapshot)
    if withholding:
        notes.append(withholding[0])
    if inclusive:
        notes.append(
            gettext_noop(
                "税込価格の請求書です。税率ごとの税込合計から消費税額を差し引いた"
                "税抜金額で記載しています。"
            )
        )
    if note := "\n".join(n for n in notes if n):
        _cbc(root, "Note", note)
    _cbc(root, "DocumentCurrencyCode", CURRENCY)
    if addressee.get("department_code"):
        _cbc(root, "BuyerReference", addressee["department_code"])
    period = _cac(root, "InvoicePeriod")
    _cbc(period, "StartDate", snapshot["transaction_date"])
    _cbc(
        period,
        "EndDate",
        snapshot.get("transaction_end_date") or snapshot["transaction_date"],
    )
    # The 注文番号 (支出負担行為番号) is the purchase order reference, ibt-013.
    if snapshot.get("order_number"):
        _cbc(_cac(root, "OrderReference"), "ID", snapshot["order_number"])
    corrects = snapshot.get("corrects")
    if corrects:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", corrects["number"])
        if corrects.get("issue_date"):
            _cbc(reference, "IssueDate", corrects["issue_date"])
    despatches = _despatch_documents(snapshot)
    if len(despatches) == 1:
        _cbc(_cac(root, "DespatchDocumentReference"), "ID", despatches[0])
    if snapshot.get("receipt_number"):
        document = _cac(root, "AdditionalDocumentReference")
        _cbc(document, "ID", snapshot["receipt_number"])
        _cbc(document, "DocumentDescription", gettext_noop("受付番号"))

    # Seller
    party = _cac(_cac(root, "AccountingSupplierParty"), "Party")
    if supplier.get("corporate_number"):
        _cbc(
            party,
            "EndpointID",
            supplier["corporate_number"],
            schemeID=SCHEME_CORPORATE_NUMBER,
        )
    else:
        _cbc(
            party,
            "EndpointID",
            supplier["registration_number"],
            schemeID=SCHEME_REGISTRATION_NUMBER,
        )
    _address(
        party,
        postal_code=supplier.get("postal_code", ""),
        address=supplier.get("address", ""),
    )
    tax_scheme = _cac(party, "PartyTaxScheme")
    _cbc(tax_scheme, "CompanyID", supplier["registration_number"])
    _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", supplier["name"])
    if supplier.get("corporate_number"):
        _cbc(
            legal,
            "CompanyID",
            supplier["corporate_number"],
            schemeID=SCHEME_CORPORATE_NUMBER,
        )
    if supplier.get("phone"):
        _cbc(_cac(party, "Contact"), "Telephone", supplier["phone"])

    # Buyer: the municipality; the department is the routing reference.
    party = _cac(_cac(root, "AccountingCustomerParty"), "Party")
    _cbc(
        party,
        "EndpointID",
        municipality.corporate_number,
        schemeID=SCHEME_CORPORATE_NUMBER,
    )
    _address(party, postal_code=municipality.postal_code, address=municipality.address)
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", addressee["municipality"])
    _cbc(
        legal,
        "CompanyID",
        municipality.corporate_number,
        schemeID=SCHEME_CORPORATE_NUMBER,
    )
    if addressee.get("department"):
        _cbc(_cac(party, "Contact"), "Name", addressee["department"])

    # Payment: credit transfer to the Zengin account (BIS §2.5.3).
    account = snapshot.get("bank_account")
    if account:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", "30", name="Credit transfer")
        if snapshot.get("due_date"):
            _cbc(means, "PaymentDueDate", snapshot["due_date"])
        payee = _cac(means, "PayeeFinancialAccount")
        _cbc(
            payee,
            "ID",
            ":".join(
                (
                    account["bank_code"],
                    account["branch_code"],
                    account["account_type"],
                    account["account_number"],
                )
            ),
        )
        if account.get("holder_kana"):
            _cbc(payee, "Name", account["holder_kana"])
        branch = _cac(payee, "FinancialInstitutionBranch")
        _cbc(branch, "ID", f"{account['bank_code']}{account['branch_code']}")
        _cbc(branch, "Name", f"{account['bank_name']} {account['branch_name']}")
    if withholding:
        # One payment terms note at most (ibr-sr-05).
        _cbc(_cac(root, "PaymentTerms"), "Note", withholding[1])

    # Tax breakdown: one subtotal per category and rate.
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", sum(tax for _t, tax in breakdown.values()))
    for category in TaxCategory.values:
        if category not in breakdown:
            continue
        taxable, tax = breakdown[category]
        subtotal = _cac(tax_total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", taxable)
        _amount(subtotal, "TaxAmount", tax)
        _tax_category(subtotal, "TaxCategory", category)

    line_total = sum(exclusive_amounts.values())
    tax_sum = sum(tax for _t, tax in breakdown.values())
    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", line_total)
    _amount(totals, "TaxExclusiveAmount", line_total)
    _amount(totals, "TaxInclusiveAmount", line_total + tax_sum)
    if rounding:
        _amount(totals, "PayableRoundingAmount", rounding)
    # The total, also with withholding (see _withholding_texts).
    _amount(totals, "PayableAmount", line_total + tax_sum + rounding)

    for line in sorted(snapshot["lines"], key=lambda item: item["position"]):
        amount = exclusive_amounts[line["position"]]
        el = _cac(root, "InvoiceLine")
        _cbc(el, "ID", line["position"])
        if line.get("note"):
            _cbc(el, "Note", line["note"])  # IBT-127, the line's 明細備考
        unit = line.get("unit", "")
        # A net price is never negative (ibr-027): a discount (negative unit
        # price) goes out as a negative quantity at a positive price.
        quantity = Decimal(line["quantity"])
        if Decimal(line["unit_price"]) < 0:
            quantity = -quantity
        _cbc(el, "InvoicedQuantity", _plain(quantity), unitCode=unit_code(unit))
        _amount(el, "LineExtensionAmount", amount)
        if len(despatches) > 1 and line.get("delivery_number"):
            # The despatch advice's own line is not known: "NA", as Peppol
            # BIS writes an unknown referenced line (cbc:LineID is required).
            despatch = _cac(el, "DespatchLineReference")
            _cbc(despatch, "LineID", "NA")
            _cbc(_cac(despatch, "DocumentReference"), "ID", line["delivery_number"])
        item = _cac(el, "Item")
        if unit.strip() and unit_code(unit) == "H87" and unit.strip() not in UNIT_CODES:
            _cbc(item, "Description", gettext_noop("単位: %(unit)s") % {"unit": unit})
        _cbc(item, "Name", line["description"])
        _tax_category(item, "ClassifiedTaxCategory", line["tax_category"])
        price, base_quantity = _net_price(line, amount, inclusive=inclusive)
        price_el = _cac(el, "Price")
        _amount(price_el, "PriceAmount", price)
        if base_quantity:
            _cbc(
                price_el,
                "BaseQuantity",
                _plain(base_quantity),
                unitCode=unit_code(unit),
            )

    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
