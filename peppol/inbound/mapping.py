"""From a read JP PINT document to what a screen-entered invoice holds: the
lines, the fields and the totals computed with the portal's own arithmetic,
or problems that name the line or field."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

from invoices.models import Invoice, TaxCategory
from invoices.services.drafts import LineInput
from invoices.tax import (
    invoice_totals,
    line_amount,
    line_sign_problem,
    negative_total_problems,
)
from municipality.models import Department, Municipality
from partners.models import (
    Connection,
    PriceBasis,
    Supplier,
)
from peppol.reader import DocumentAllowanceCharge, DocumentLine, PintDocument

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
NUMBER_LIMIT = 40  # Invoice.number and Invoice.order_number
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
        # A return or discount is a negative quantity at a positive price.
        if problem := line_sign_problem(quantity=line.quantity, unit_price=line.price):
            result.problems.append(
                _problem(
                    "portal-line-sign",
                    f"{where}: {problem}",
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
                note=line.note[:TEXT_LIMIT],
            )
        )
    for position, entry in enumerate(document.allowance_charges, start=1):
        _allowance_charge_line(result, entry, position)


def _allowance_charge_line(
    result: CheckResult, entry: DocumentAllowanceCharge, position: int
) -> None:
    """A document-level allowance (IBG-20) as a discount line, a charge
    (IBG-21) as a line of its own: quantity 1, the document's amount, its
    tax category and rate."""
    # The line's default name and unit are invoice content: Japanese.
    default = gettext_noop("追加料金") if entry.charge else gettext_noop("値引き")
    location = f"cac:AllowanceCharge[{position}]"
    if entry.tax_category not in TaxCategory.values:
        if entry.charge:
            message = gettext(
                "%(n)s件目の追加料金（AllowanceCharge）: 税区分「%(category)s」は"
                "使えません（S・AA・E・O・G のいずれか）。"
            )
        else:
            message = gettext(
                "%(n)s件目の値引き（AllowanceCharge）: 税区分「%(category)s」は"
                "使えません（S・AA・E・O・G のいずれか）。"
            )
        result.problems.append(
            _problem(
                "portal-tax-category",
                message % {"n": position, "category": entry.tax_category},
                f"{location}/cac:TaxCategory",
            )
        )
        return
    if entry.amount != entry.amount.quantize(QUANTITY_PLACES):
        if entry.charge:
            message = gettext(
                "%(n)s件目の追加料金（AllowanceCharge）: 金額 %(amount)s の小数は"
                "3桁までにしてください。"
            )
        else:
            message = gettext(
                "%(n)s件目の値引き（AllowanceCharge）: 金額 %(amount)s の小数は"
                "3桁までにしてください。"
            )
        result.problems.append(
            _problem(
                "portal-line-amount",
                message % {"n": position, "amount": entry.amount},
                f"{location}/cbc:Amount",
            )
        )
        return
    result.lines.append(
        LineInput(
            description=(entry.reason or default)[:TEXT_LIMIT],
            quantity=Decimal(1),
            unit_price=entry.amount if entry.charge else -entry.amount,
            tax_category=entry.tax_category,
            unit=gettext_noop("式"),
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
                    "日本円以外の通貨（%(currency)s）の請求書は受け付けられません。"
                    "自治体への請求書は日本円（JPY）で作成して送り直してください。"
                )
                % {"currency": document.currency or gettext("なし")},
                "cbc:DocumentCurrencyCode",
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
    if len(document.order_reference) > NUMBER_LIMIT:
        problems.append(
            _problem(
                "portal-order-reference",
                gettext(
                    "注文番号（cac:OrderReference/cbc:ID）は%(limit)s文字以内に"
                    "してください。"
                )
                % {"limit": NUMBER_LIMIT},
                "cac:OrderReference/cbc:ID",
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
    if negative := negative_total_problems(totals):
        problems.extend(
            _problem("portal-negative-total", message, "cac:LegalMonetaryTotal")
            for message in negative
        )
        return
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
    for stated, computed, field_name in (
        (document.tax_exclusive, totals.subtotal, "TaxExclusiveAmount"),
        (document.payable, totals.total, "PayableAmount"),
    ):
        if stated is not None and stated != computed:
            problems.append(
                _problem(
                    "portal-total",
                    gettext(
                        "合計（LegalMonetaryTotal/%(field)s）%(stated)s円が、明細と"
                        "請求書全体の値引き・追加料金から計算した %(computed)s円と"
                        "一致しません。前払金（PrepaidAmount）や端数調整"
                        "（PayableRoundingAmount）は受け付けていません。"
                    )
                    % {"field": field_name, "stated": stated, "computed": computed},
                    f"cac:LegalMonetaryTotal/cbc:{field_name}",
                )
            )
    if problems:
        return
    result.totals = totals
    # The remarks are invoice content: Japanese, whoever imports it.
    notes = list(document.notes)
    if document.billing_references:
        notes.append(
            gettext_noop("訂正元の請求書: %(n)s")
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
        "order_number": document.order_reference,
        "notes": "\n".join(notes),
        "price_basis": PriceBasis.EXCLUSIVE,
    }


def _buckets_text(buckets: dict) -> str:
    return gettext("、").join(
        gettext("%(category)s 対象%(taxable)s円・税%(tax)s円")
        % {"category": category, "taxable": taxable, "tax": tax}
        for category, (taxable, tax) in sorted(buckets.items())
    )
