"""源泉徴収税額 (所得税法204条) on an individual's fees: the arithmetic
(checked against an independent computation with exact fractions), and the
services that store it, refuse it for corporations and freeze it at issue."""

from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled
from hypothesis import given, strategies as st

from invoices.models import Invoice, WithholdingKind
from invoices.services.drafts import LineInput, invoice_copy
from invoices.services.issue import invoice_issue, invoice_issue_problems
from invoices.snapshot import invoice_content_problem
from invoices.withholding import invoice_withholding, withholding_tax
from partners.models import LegalForm, PriceBasis
from tests.factories import make_invoice

GENERAL, SCRIVENER = WithholdingKind.GENERAL, WithholdingKind.SCRIVENER


def expected(base: int, kind: str) -> int:
    """The NTA's formulas (タックスアンサー No.2795, 2798), in exact
    fractions, rounded down."""
    if kind == SCRIVENER:
        return max(0, floor((base - 10_000) * Fraction("0.1021")))
    if base <= 1_000_000:
        return floor(base * Fraction("0.1021"))
    return floor((base - 1_000_000) * Fraction("0.2042") + 102_100)


bases = st.integers(min_value=0, max_value=10**15 - 1)
kinds = st.sampled_from(WithholdingKind.values)


@given(base=bases, kind=kinds)
def test_tax_is_the_nta_formula_rounded_down(base, kind):
    assert withholding_tax(base=base, kind=kind) == expected(base, kind)


@given(base=bases, kind=kinds)
def test_tax_grows_with_the_fee_and_never_exceeds_a_fifth_of_it(base, kind):
    tax = withholding_tax(base=base, kind=kind)
    assert 0 <= tax <= base * Fraction("0.2042")
    assert withholding_tax(base=base + 1, kind=kind) >= tax


@given(base=st.integers(min_value=0, max_value=1_000_000))
def test_up_to_a_million_yen_it_is_10_21_percent(base):
    assert withholding_tax(base=base, kind=GENERAL) == base * 1021 // 10_000


@given(over=st.integers(min_value=1, max_value=10**12))
def test_the_part_over_a_million_yen_is_taxed_at_20_42_percent(over):
    tax = withholding_tax(base=1_000_000 + over, kind=GENERAL)
    assert tax == 102_100 + over * 2042 // 10_000


@pytest.mark.parametrize(
    ("base", "tax"),
    [
        (1, 0),
        (10, 1),
        (100_000, 10_210),
        (999_999, 102_099),
        # The boundary: exactly ¥1,000,000 is all at 10.21%; one yen more
        # adds 20.42% of that yen (0.2042, rounded down).
        (1_000_000, 102_100),
        (1_000_001, 102_100),
        (1_000_005, 102_101),
        (1_500_000, 204_200),
    ],
)
def test_general_fees_around_the_million_yen_boundary(base, tax):
    assert withholding_tax(base=base, kind=GENERAL) == tax


@given(base=st.integers(min_value=-(10**6), max_value=10_000))
def test_scriveners_up_to_10000_yen_have_nothing_withheld(base):
    assert withholding_tax(base=base, kind=SCRIVENER) == 0


@pytest.mark.parametrize(
    ("base", "tax"),
    [
        (10_000, 0),
        (10_001, 0),
        (10_010, 1),
        (50_000, 4_084),
        # No 20.42% for 司法書士: the whole part over ¥10,000 is at 10.21%.
        (2_000_000, 203_179),
    ],
)
def test_scriveners_pay_10_21_percent_of_the_part_over_10000_yen(base, tax):
    assert withholding_tax(base=base, kind=SCRIVENER) == tax


@given(
    lines=st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=10**9)),
        max_size=8,
    ),
    kind=kinds,
)
def test_the_base_is_the_sum_of_the_lines_subject_to_withholding(lines, kind):
    total = Decimal(sum(amount for _, amount in lines) * 11 // 10)
    withholding = invoice_withholding(
        lines=[(flag, Decimal(amount)) for flag, amount in lines],
        kind=kind,
        total=total,
    )
    if not any(flag for flag, _ in lines):
        assert withholding is None
        return
    base = sum(amount for flag, amount in lines if flag)
    assert withholding.base == base
    assert withholding.tax == expected(base, kind)
    assert withholding.net_total == total - withholding.tax


# Services ------------------------------------------------------------------


FEE = LineInput(
    "講演料（11月5日 市民講座）",
    Decimal(1),
    Decimal(100_000),
    "S",
    "式",
    withholding=True,
)
TRAVEL = LineInput("交通費（実費）", Decimal(1), Decimal(5_000), "S", "式")


@pytest.fixture
def individual(connection):
    supplier = connection.supplier
    supplier.legal_form = LegalForm.INDIVIDUAL
    supplier.save()
    return supplier


def _draft(connection, user, lines, **fields):
    with scopes_disabled():
        return make_invoice(
            connection=connection, actor=user, lines=lines, issue=False, **fields
        )


@pytest.mark.django_db
def test_an_individuals_fee_has_its_tax_withheld(individual, connection, supplier_user):
    invoice = _draft(connection, supplier_user, [FEE, TRAVEL])
    # 105,000 + 10% = 115,500; 100,000 × 10.21% = 10,210 withheld.
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        105_000,
        10_500,
        115_500,
    )
    assert (invoice.withholding_base, invoice.withholding_tax) == (100_000, 10_210)
    assert invoice.net_total == 105_290


@pytest.mark.django_db
def test_a_scriveners_fee_uses_the_scrivener_rule(
    individual, connection, supplier_user
):
    invoice = _draft(
        connection, supplier_user, [FEE], withholding_kind=WithholdingKind.SCRIVENER
    )
    assert invoice.withholding_tax == 9_189  # (100,000 − 10,000) × 10.21%


@pytest.mark.django_db
def test_without_lines_subject_to_it_nothing_is_withheld(
    individual, connection, supplier_user
):
    invoice = _draft(connection, supplier_user, [TRAVEL])
    assert (invoice.withholding_base, invoice.withholding_tax) == (0, 0)
    assert invoice.net_total == invoice.total


@pytest.mark.django_db
def test_a_corporation_cannot_mark_lines_for_withholding(connection, supplier_user):
    assert connection.supplier.legal_form == LegalForm.CORPORATION
    with pytest.raises(ValidationError) as error:
        _draft(connection, supplier_user, [FEE, TRAVEL])
    assert "法人の請求書では、明細を源泉徴収の対象にできません" in " ".join(
        error.value.messages
    )


@pytest.mark.django_db
def test_withholding_needs_tax_exclusive_prices(individual, connection, supplier_user):
    with pytest.raises(ValidationError) as error:
        _draft(connection, supplier_user, [FEE], price_basis=PriceBasis.INCLUSIVE)
    assert "単価の表示を「税抜」に" in " ".join(error.value.messages)


@pytest.mark.django_db
def test_withholding_is_frozen_at_issue(individual, connection, supplier_user):
    draft = _draft(connection, supplier_user, [FEE, TRAVEL])
    with scopes_disabled():
        invoice = invoice_issue(invoice=draft, actor=supplier_user)
        assert invoice_content_problem(invoice) is None
    assert invoice.snapshot["withholding"] == {
        "kind": "general",
        "base": "100000",
        "tax": "10210",
        "net_total": "105290",
    }
    assert invoice.snapshot["supplier"]["legal_form"] == "individual"
    assert [line.get("withholding", False) for line in invoice.snapshot["lines"]] == [
        True,
        False,
    ]


@pytest.mark.django_db
def test_an_invoice_without_withholding_keeps_the_old_snapshot_shape(
    connection, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
    assert "withholding" not in invoice.snapshot
    assert all("withholding" not in line for line in invoice.snapshot["lines"])


@pytest.mark.django_db
def test_a_draft_whose_supplier_became_a_corporation_cannot_be_issued(
    individual, connection, supplier_user
):
    draft = _draft(connection, supplier_user, [FEE])
    individual.legal_form = LegalForm.CORPORATION
    individual.save()
    with scopes_disabled():
        draft.refresh_from_db()
        problems = invoice_issue_problems(draft)
        assert any("法人の請求書では" in p for p in problems)
        with pytest.raises(ValidationError):
            invoice_issue(invoice=draft, actor=supplier_user)


@pytest.mark.django_db
def test_a_copy_keeps_the_lines_subject_to_withholding(
    individual, connection, supplier_user
):
    draft = _draft(connection, supplier_user, [FEE, TRAVEL], withholding_kind=SCRIVENER)
    with scopes_disabled():
        copy = invoice_copy(invoice=draft, actor=supplier_user)
        flags = list(
            copy.lines.order_by("position").values_list("withholding", flat=True)
        )
    assert flags == [True, False]
    assert copy.withholding_kind == SCRIVENER
    assert copy.withholding_tax == draft.withholding_tax


@pytest.mark.django_db
@pytest.mark.parametrize("withheld", [True, False])
def test_a_changed_withholding_amount_is_noticed(
    individual, connection, supplier_user, withheld
):
    """The treasury pays total − withholding_tax: a row changed behind the
    application's back no longer matches what was frozen at issue."""
    lines = [FEE, TRAVEL] if withheld else [TRAVEL]
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user, lines=lines)
        Invoice.objects.filter(pk=invoice.pk).update(withholding_tax=1)
        invoice.refresh_from_db()
        assert "明細または合計が発行時の内容と一致しません" in (
            invoice_content_problem(invoice) or ""
        )
