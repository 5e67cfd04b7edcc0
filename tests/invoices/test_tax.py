import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from invoices.models import TaxCategory
from invoices.tax import invoice_totals, line_amount, negative_total_problems
from partners.models import PriceBasis, TaxRounding

S, AA = TaxCategory.STANDARD, TaxCategory.REDUCED
D = Decimal


def test_three_lines_of_105_yen_at_10_percent_round_once_to_31():
    # jp-invoice-law.md §1.2: per line would give 30, which the law forbids.
    totals = invoice_totals(
        lines=[(S, D(105))] * 3,
        price_basis=PriceBasis.EXCLUSIVE,
        rounding=TaxRounding.FLOOR,
    )
    (bucket,) = totals.buckets
    assert bucket.taxable_amount == 315
    assert bucket.tax_amount == 31
    assert totals.total == 346


def test_qa_57_tax_inclusive_example():
    # インボイスQ&A 問57: 10% part 60,000 → 5,454; 8% part 40,000 → 2,962.
    totals = invoice_totals(
        lines=[(S, D(60000)), (AA, D(40000))],
        price_basis=PriceBasis.INCLUSIVE,
        rounding=TaxRounding.FLOOR,
    )
    assert [(b.category, b.tax_amount) for b in totals.buckets] == [
        (S, 5454),
        (AA, 2962),
    ]
    assert totals.tax_total == 8416
    assert totals.total == 100000


@pytest.mark.parametrize(
    ("rounding", "tax"),
    [(TaxRounding.FLOOR, 31), (TaxRounding.HALF_UP, 32), (TaxRounding.CEILING, 32)],
)
def test_rounding_mode_is_the_issuers(rounding, tax):
    totals = invoice_totals(
        lines=[(S, D(315))], price_basis=PriceBasis.EXCLUSIVE, rounding=rounding
    )
    assert totals.tax_total == tax


def test_half_up_rounds_exact_halves_up_and_below_halves_down():
    def tax(amount):
        return invoice_totals(
            lines=[(AA, D(amount))],
            price_basis=PriceBasis.EXCLUSIVE,
            rounding=TaxRounding.HALF_UP,
        ).tax_total

    assert tax(1006) == 80  # 80.48
    assert tax(1007) == 81  # 80.56
    assert tax(1025) == 82  # 82.00


def test_untaxed_categories_carry_no_tax_and_are_listed_separately():
    totals = invoice_totals(
        lines=[
            (TaxCategory.EXEMPT, D(1000)),
            (TaxCategory.OUT_OF_SCOPE, D(500)),
            (TaxCategory.EXPORT, D(200)),
            (S, D(1000)),
        ],
        price_basis=PriceBasis.EXCLUSIVE,
        rounding=TaxRounding.FLOOR,
    )
    assert [(b.category, b.tax_amount) for b in totals.buckets] == [
        (S, 100),
        (TaxCategory.EXEMPT, 0),
        (TaxCategory.OUT_OF_SCOPE, 0),
        (TaxCategory.EXPORT, 0),
    ]
    assert totals.total == 2800


@pytest.mark.parametrize(
    ("quantity", "unit_price", "rounding", "amount"),
    [
        ("2.5", "333", TaxRounding.FLOOR, 832),
        ("2.5", "333", TaxRounding.HALF_UP, 833),
        ("0.333", "1000", TaxRounding.CEILING, 333),
        ("3", "99.9", TaxRounding.FLOOR, 299),
        ("12", "1500", TaxRounding.FLOOR, 18000),
    ],
)
def test_line_amount_is_quantity_times_unit_price_in_whole_yen(
    quantity, unit_price, rounding, amount
):
    assert (
        line_amount(quantity=D(quantity), unit_price=D(unit_price), rounding=rounding)
        == amount
    )


categories = st.sampled_from(TaxCategory.values)
amounts = st.integers(min_value=0, max_value=10**11).map(Decimal)


@given(
    lines=st.lists(st.tuples(categories, amounts), max_size=40),
    price_basis=st.sampled_from(PriceBasis.values),
    rounding=st.sampled_from(TaxRounding.values),
)
def test_totals_always_equal_the_sum_of_their_parts(lines, price_basis, rounding):
    totals = invoice_totals(lines=lines, price_basis=price_basis, rounding=rounding)
    assert totals.subtotal == sum((a for _, a in lines), D(0))
    assert sum((b.taxable_amount for b in totals.buckets), D(0)) == totals.subtotal
    assert totals.tax_total == sum((b.tax_amount for b in totals.buckets), D(0))
    if price_basis == PriceBasis.EXCLUSIVE:
        assert totals.total == totals.subtotal + totals.tax_total
    else:
        assert totals.total == totals.subtotal
    for bucket in totals.buckets:
        assert bucket.tax_amount == int(bucket.tax_amount)
        # Rounded once: within one yen of the exact tax on the bucket.
        rate = bucket.rate
        exact = (
            bucket.taxable_amount * rate
            if price_basis == PriceBasis.EXCLUSIVE
            else bucket.taxable_amount * rate / (1 + rate)
        )
        assert abs(bucket.tax_amount - exact) < 1


# Discount and return lines -------------------------------------------------

signed_amounts = st.integers(min_value=-(10**11), max_value=10**11).map(Decimal)
RATES = {S: Fraction(10, 100), AA: Fraction(8, 100)}


def _rounded(exact: Fraction, rounding: str) -> int:
    if rounding == TaxRounding.FLOOR:
        return math.floor(exact)
    if rounding == TaxRounding.CEILING:
        return math.ceil(exact)
    return math.floor(exact + Fraction(1, 2))


@given(
    lines=st.lists(st.tuples(categories, signed_amounts), min_size=1, max_size=30),
    price_basis=st.sampled_from(PriceBasis.values),
    rounding=st.sampled_from(TaxRounding.values),
)
def test_tax_per_rate_is_the_net_of_its_lines_rounded_once(
    lines, price_basis, rounding
):
    totals = invoice_totals(lines=lines, price_basis=price_basis, rounding=rounding)
    nets: dict[str, int] = {}
    for category, amount in lines:
        nets[category] = nets.get(category, 0) + int(amount)
    assert {b.category: b.taxable_amount for b in totals.buckets} == nets
    for bucket in totals.buckets:
        net = nets[bucket.category]
        if bucket.category not in RATES:
            assert bucket.tax_amount == 0
            continue
        rate = RATES[bucket.category]
        if price_basis == PriceBasis.INCLUSIVE:
            rate = rate / (1 + rate)
        if net >= 0:
            assert bucket.tax_amount == _rounded(net * rate, rounding)
    refused = totals.total < 0 or any(net < 0 for net in nets.values())
    assert bool(negative_total_problems(totals)) == refused


@given(
    quantity=st.decimals(min_value="0.001", max_value="99999", places=3),
    unit_price=st.decimals(min_value="0", max_value="9999999", places=3),
    rounding=st.sampled_from(TaxRounding.values),
)
def test_a_return_or_a_discount_is_the_exact_negative_of_the_line(
    quantity, unit_price, rounding
):
    sold = line_amount(quantity=quantity, unit_price=unit_price, rounding=rounding)
    assert (
        line_amount(quantity=-quantity, unit_price=unit_price, rounding=rounding)
        == -sold
    )
    assert (
        line_amount(quantity=quantity, unit_price=-unit_price, rounding=rounding)
        == -sold
    )


def test_negative_total_problems_name_the_rate_or_the_invoice():
    def problems(*lines):
        return negative_total_problems(
            invoice_totals(
                lines=lines,
                price_basis=PriceBasis.EXCLUSIVE,
                rounding=TaxRounding.FLOOR,
            )
        )

    assert problems((S, D(1000)), (S, D(-1000))) == []
    assert problems((S, D(500)), (S, D(-600)), (AA, D(1000))) == [
        "10%対象の合計がマイナスになります。値引きは対象の明細の合計以下にしてください。"
    ]
    assert problems((AA, D(-1)), (S, D(1000))) == [
        "8%対象の合計がマイナスになります。値引きは対象の明細の合計以下にしてください。"
    ]
    (message,) = problems((S, D(-1000)))
    assert message.startswith(
        "請求金額の合計がマイナスになります。返品・値引きだけの請求書は発行できません。"
    )
