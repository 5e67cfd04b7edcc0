from datetime import date

import pytest

from municipality.fiscal import (
    closing_period_end,
    commitment_fiscal_year,
    fiscal_year_bounds,
    fiscal_year_of,
    in_closing_period,
    payable_fiscal_years,
)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 4, 1), 2026),
        (date(2027, 3, 31), 2026),
        (date(2027, 1, 15), 2026),
        (date(2026, 3, 31), 2025),
        (date(2026, 12, 31), 2026),
    ],
)
def test_the_fiscal_year_runs_april_to_march(day, year):
    assert fiscal_year_of(day) == year
    assert commitment_fiscal_year(commitment_date=day) == year


def test_bounds_and_closing_period():
    assert fiscal_year_bounds(2026) == (date(2026, 4, 1), date(2027, 3, 31))
    assert closing_period_end(2026) == date(2027, 5, 31)


@pytest.mark.parametrize(
    ("day", "years"),
    [
        (date(2027, 4, 1), (2026, 2027)),
        (date(2027, 5, 31), (2026, 2027)),
        (date(2027, 6, 1), (2027,)),
        (date(2027, 3, 31), (2026,)),
    ],
)
def test_the_old_year_is_still_paid_in_april_and_may(day, years):
    assert in_closing_period(day) is (len(years) == 2)
    assert payable_fiscal_years(day) == years


def test_an_invoice_belongs_to_its_orders_fiscal_year(
    tenant, connection, budget_code, supplier_user
):
    from datetime import timedelta

    from django_scopes import scopes_disabled

    from invoices.accounting import accounting_defaults, fiscal_year_of_invoice
    from procurement.models import InvoiceOrder
    from tests.factories import make_invoice
    from tests.procurement.conftest import make_order

    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
        april = date(order.fiscal_year + 1, 4, 10)  # 出納整理期間
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            issue=False,
            transaction_date=april - timedelta(days=20),
        )
        assert accounting_defaults(invoice) is None
        assert fiscal_year_of_invoice(invoice) == order.fiscal_year
        loose = make_invoice(
            connection=connection,
            actor=supplier_user,
            issue=False,
            transaction_date=april,
        )
        InvoiceOrder.objects.create(
            municipality=tenant.municipality, invoice=loose, order=order
        )
        assert accounting_defaults(loose).fiscal_year == order.fiscal_year
        assert fiscal_year_of_invoice(loose) == order.fiscal_year + 1
