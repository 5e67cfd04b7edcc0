"""Withholding income tax on an individual's fees (源泉徴収税額,
所得税法204条, jp-invoice-law.md §1.6).

When the city pays an individual (個人事業主, never a corporation) for the
fees of 所得税法204条① (講演料, 原稿料, デザイン料, 士業の報酬…), it
withholds income tax and pays it to the tax office; the supplier receives
the invoice's total less that tax (差引請求額). The base is the
tax-exclusive sum of the lines subject to withholding: a qualified invoice
states the consumption tax separately, which lets the fee without tax be
the base (平成元年直法6-1). The tax is rounded down to the yen.

- 一般: 10.21% of the base; for the part over ¥1,000,000, 20.42%.
- 司法書士・土地家屋調査士・海事代理士: (base − ¥10,000) × 10.21%.

The 10.21% and 20.42% include the 2.1% 復興特別所得税, which applies to
payments through 2037-12-31. All arithmetic is on integers.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from invoices.models import WithholdingKind
from partners.models import LegalForm, PriceBasis

# Rates in ten-thousandths: 10.21% and 20.42%.
RATE = 1021
HIGH_RATE = 2042
RATE_DENOMINATOR = 10_000
# One payment's part up to this amount is taxed at RATE, the rest at
# HIGH_RATE.
HIGH_RATE_FROM = 1_000_000
# 司法書士・土地家屋調査士・海事代理士: this much of each payment is free.
SCRIVENER_DEDUCTION = 10_000
# A payee paid more than this in a calendar year is reported to the tax
# office (報酬、料金、契約金及び賞金の支払調書) for these fees.
FILING_THRESHOLD = 50_000


def withholding_tax(*, base: int, kind: str) -> int:
    """源泉徴収税額 on a payment of ``base`` yen (tax-exclusive), rounded
    down to the yen; 0 for a base of 0 or less."""
    if kind == WithholdingKind.SCRIVENER:
        taxed = base - SCRIVENER_DEDUCTION
        return taxed * RATE // RATE_DENOMINATOR if taxed > 0 else 0
    if base <= 0:
        return 0
    if base <= HIGH_RATE_FROM:
        return base * RATE // RATE_DENOMINATOR
    # HIGH_RATE_FROM × 10.21% is a whole number (102,100), so rounding the
    # sum down equals rounding the upper part down.
    low = HIGH_RATE_FROM * RATE // RATE_DENOMINATOR
    return low + (base - HIGH_RATE_FROM) * HIGH_RATE // RATE_DENOMINATOR


@dataclass(frozen=True)
class Withholding:
    """An invoice's withholding: the kind, the tax-exclusive base, the tax
    and what the city transfers (差引請求額 = total − tax)."""

    kind: str
    base: int
    tax: int
    net_total: int


def invoice_withholding(
    *, lines: Iterable[tuple[bool, Decimal]], kind: str, total: Decimal
) -> Withholding | None:
    """The withholding of an invoice from its ``(subject to withholding,
    amount)`` lines (tax-exclusive amounts) and its ``total``, or ``None``
    when no line is subject to it."""
    flagged = [int(amount) for subject, amount in lines if subject]
    if not flagged:
        return None
    base = sum(flagged)
    tax = withholding_tax(base=base, kind=kind)
    return Withholding(kind=kind, base=base, tax=tax, net_total=int(total) - tax)


def corporation_problem() -> str:
    return gettext(
        "源泉徴収は個人事業主への報酬・料金だけが対象です。法人の請求書では、"
        "明細を源泉徴収の対象にできません。個人事業主の場合は、事業者情報の"
        "「事業者の区分」を「個人事業主」にしてください。"
    )


def withholding_problems(
    *, legal_form: str, price_basis: str, withholding: Withholding | None
) -> list[str]:
    """Why an invoice with this withholding cannot be saved or issued:
    a corporation's invoice, a tax-inclusive one, or a base below 0.
    Empty when there is no withholding or it is lawful."""
    if withholding is None:
        return []
    if legal_form != LegalForm.INDIVIDUAL:
        return [corporation_problem()]
    problems = []
    if price_basis != PriceBasis.EXCLUSIVE:
        problems.append(
            gettext(
                "源泉徴収の対象の明細がある請求書は、単価の表示を「税抜」にして"
                "ください。源泉徴収税額は税抜の報酬・料金から計算します。"
            )
        )
    if withholding.base < 0:
        problems.append(
            gettext(
                "源泉徴収の対象の明細の合計がマイナスになります。値引き・返品は、"
                "対象の明細の合計以下にしてください。"
            )
        )
    return problems
