"""Consumption tax of a qualified invoice (消費税額等), computed the lawful way.

Per tax rate, the line amounts are summed and the tax is computed on that
sum and rounded **once**, with the issuer's fixed rounding mode
(消費税法施行令70条の10, 基通1-8-15, インボイスQ&A 問57). Tax-exclusive
invoices use 10/100 and 8/100, tax-inclusive ones 10/110 and 8/108. All
arithmetic is on integers or ``Decimal``; nothing is ever a float.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext, gettext_lazy

from invoices.models import TAX_RATES, Invoice, TaxCategory
from partners.models import PriceBasis, TaxRounding

_DECIMAL_ROUNDING = {
    TaxRounding.FLOOR: ROUND_FLOOR,
    TaxRounding.HALF_UP: ROUND_HALF_UP,
    TaxRounding.CEILING: ROUND_CEILING,
}

# Rates as exact fractions: (numerator, denominator) for tax-exclusive and
# tax-inclusive amounts.
_FRACTIONS = {
    TaxCategory.STANDARD: ((10, 100), (10, 110)),
    TaxCategory.REDUCED: ((8, 100), (8, 108)),
}


def yen(value: Decimal, rounding: str) -> Decimal:
    """``value`` rounded to whole yen with the issuer's rounding mode."""
    return value.quantize(Decimal("1"), rounding=_DECIMAL_ROUNDING[rounding])


def line_amount(*, quantity: Decimal, unit_price: Decimal, rounding: str) -> Decimal:
    """A line's amount in whole yen: quantity × unit price, rounded once.
    A discount or return line (negative) rounds its size the same way, so
    returning what a line sold gives exactly that line's amount back."""
    exact = quantity * unit_price
    if exact < 0:
        return -yen(-exact, rounding)
    return yen(exact, rounding)


def _divide(numerator: int, denominator: int, rounding: str) -> int:
    if numerator < 0:  # rounded by size, as line_amount rounds
        return -_divide(-numerator, denominator, rounding)
    quotient, remainder = divmod(numerator, denominator)
    if rounding == TaxRounding.CEILING:
        return quotient + (remainder > 0)
    if rounding == TaxRounding.HALF_UP:
        return quotient + (2 * remainder >= denominator)
    return quotient


# The buckets' fixed, readable order (``TaxCategory.values`` builds a new
# list at each call).
_CATEGORY_ORDER = tuple(TaxCategory.values)


@dataclass(frozen=True)
class TaxBucket:
    """One tax category's total and the tax on it."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class Totals:
    buckets: tuple[TaxBucket, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def invoice_totals(
    *, lines: Iterable[tuple[str, Decimal]], price_basis: str, rounding: str
) -> Totals:
    """Totals of an invoice from its ``(tax_category, amount)`` lines.

    ``subtotal`` is the sum of the line amounts (tax-exclusive or inclusive
    as ``price_basis`` says); ``total`` is what the city pays.
    """
    sums: dict[str, int] = {}
    for category, amount in lines:
        sums[category] = sums.get(category, 0) + int(amount)
    inclusive = price_basis == PriceBasis.INCLUSIVE
    buckets = []
    for category in _CATEGORY_ORDER:
        if category not in sums:
            continue
        taxable = sums[category]
        tax = 0
        if category in _FRACTIONS:
            numerator, denominator = _FRACTIONS[category][inclusive]
            tax = _divide(taxable * numerator, denominator, rounding)
        buckets.append(
            TaxBucket(
                category=category,
                rate=TAX_RATES[category],
                taxable_amount=Decimal(taxable),
                tax_amount=Decimal(tax),
            )
        )
    subtotal = Decimal(sum(sums.values()))
    tax_total = Decimal(sum(b.tax_amount for b in buckets))
    return Totals(
        buckets=tuple(buckets),
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal if inclusive else subtotal + tax_total,
    )


# The amount columns (lines, per-rate sums, totals) hold 15 digits of whole
# yen; anything larger would fail in the database (PostgreSQL: numeric field
# overflow), so it is refused before anything is written.
AMOUNT_MAX = Decimal(10) ** Invoice._meta.get_field("total").max_digits - 1

_BUCKET_LABELS = {
    TaxCategory.STANDARD: gettext_lazy("10%対象"),
    TaxCategory.REDUCED: gettext_lazy("8%対象"),
    TaxCategory.EXEMPT: gettext_lazy("非課税"),
    TaxCategory.OUT_OF_SCOPE: gettext_lazy("不課税"),
    TaxCategory.EXPORT: gettext_lazy("免税（輸出）"),
}


QUANTITY_ZERO = gettext_lazy(
    "数量は0以外にしてください。返品は数量をマイナス（例: -2）にします。"
)


def line_sign_problem(*, quantity: Decimal, unit_price: Decimal) -> str | None:
    """Why a line's quantity and unit price cannot go together, or ``None``.
    A discount (値引き) has a negative unit price, a return (返品) a negative
    quantity; never both, and never a quantity of 0."""
    if quantity == 0:
        return str(QUANTITY_ZERO)
    if quantity < 0 and unit_price < 0:
        return gettext(
            "数量と単価の両方をマイナスにはできません。値引きは単価を、"
            "返品は数量をマイナスにしてください。"
        )
    return None


def negative_total_problems(totals: Totals) -> list[str]:
    """Why totals with discount or return lines cannot be issued: the
    whole invoice, else each tax category and rate whose net is negative
    (a negative taxable amount has no lawful tax). Empty when all are 0 or
    more."""
    if totals.total < 0:
        return [
            gettext(
                "請求金額の合計がマイナスになります。返品・値引きだけの請求書は"
                "発行できません。返品・値引きは、合計がプラスになる請求書の"
                "マイナスの明細にしてください。"
            )
        ]
    return [
        gettext(
            "%(rate)sの合計がマイナスになります。値引きは対象の明細の合計以下に"
            "してください。"
        )
        % {"rate": _BUCKET_LABELS[bucket.category]}
        for bucket in totals.buckets
        if bucket.taxable_amount < 0
    ]


def amount_over_limit(field: str) -> str:
    """「…が上限（999,999,999,999,999円）を超えています。…」 for ``field``."""
    return gettext(
        "%(field)sが上限（%(limit)s円）を超えています。"
        "明細を分けて、複数の請求書にしてください。"
    ) % {"field": field, "limit": f"{AMOUNT_MAX:,}"}


def amount_limit_problems(*, amounts: Iterable[Decimal], totals: Totals) -> list[str]:
    """Why the amounts cannot be stored, naming the amount: every line
    (numbered from 1) over the limit, otherwise the first per-rate sum, tax
    or total that is (the later ones follow from it). Empty when all fit."""
    problems = [
        gettext("%(row)s行目: %(message)s")
        % {"row": number, "message": amount_over_limit(gettext("金額"))}
        for number, amount in enumerate(amounts, start=1)
        if abs(amount) > AMOUNT_MAX
    ]
    if problems:
        return problems
    sums = [
        *(bucket.taxable_amount for bucket in totals.buckets),
        *(bucket.tax_amount for bucket in totals.buckets),
        totals.subtotal,
        totals.tax_total,
        totals.total,
    ]
    if all(amount <= AMOUNT_MAX for amount in sums):
        return []  # the usual case, without translating the labels below
    checks = [
        *(
            (
                bucket.taxable_amount,
                gettext("%(rate)sの合計") % {"rate": _BUCKET_LABELS[bucket.category]},
            )
            for bucket in totals.buckets
        ),
        *(
            (
                bucket.tax_amount,
                gettext("%(rate)sの消費税額等")
                % {"rate": _BUCKET_LABELS[bucket.category]},
            )
            for bucket in totals.buckets
        ),
        (totals.subtotal, gettext("明細の合計金額")),
        (totals.tax_total, gettext("消費税額等の合計")),
        (totals.total, gettext("請求金額（税込）")),
    ]
    for amount, field in checks:
        if amount > AMOUNT_MAX:
            return [amount_over_limit(field)]
    return []
