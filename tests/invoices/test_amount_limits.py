"""Amounts that do not fit the database's columns (15 digits of whole yen)
are refused with a Japanese message naming the amount, before anything is
written: on PostgreSQL an overflow would otherwise be a 500 (numeric field
overflow); on SQLite the value would be stored silently."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.csv_import import CsvImportError, csv_import, csv_parse
from invoices.models import Invoice, InvoiceLine, InvoiceTaxSummary
from invoices.services.drafts import LineInput, invoice_draft_save
from invoices.tax import AMOUNT_MAX, amount_limit_problems, invoice_totals
from partners.models import PriceBasis, TaxRounding
from tests.invoices.test_csv_import import csv_file, line
from tests.invoices.test_supplier_invoices import form_data

pytestmark = pytest.mark.django_db

LIMIT_TEXT = "999,999,999,999,999円"
TOTAL_TOO_LARGE = (
    f"請求金額（税込）が上限（{LIMIT_TEXT}）を超えています。"
    "明細を分けて、複数の請求書にしてください。"
)


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


def _invoices(supplier):
    with scopes_disabled():
        return list(Invoice.objects.filter(supplier=supplier))


def test_the_limit_is_the_amount_columns_limit():
    for model, name in (
        (Invoice, "total"),
        (Invoice, "subtotal"),
        (Invoice, "tax_total"),
        (InvoiceLine, "amount"),
        (InvoiceTaxSummary, "taxable_amount"),
        (InvoiceTaxSummary, "tax_amount"),
    ):
        digits = model._meta.get_field(name).max_digits
        assert Decimal(10) ** digits - 1 == AMOUNT_MAX


def test_screen_entry_refuses_a_total_over_the_column_limit(
    client, supplier_user, supplier, connection
):
    # 1,000 × 999,999,999,999 fits a line (15 digits); with 10% tax the
    # total has 16 digits. Today: 500 on PostgreSQL (numeric field overflow).
    client.force_login(supplier_user)
    lines = [{"description": "大口", "quantity": "1000", "unit_price": "999999999999"}]
    response = client.post(
        reverse("supplier:invoice_new"), form_data(connection, lines)
    )
    assert response.status_code == 200
    assert TOTAL_TOO_LARGE in response.content.decode()
    assert _invoices(supplier) == []


def test_screen_entry_names_a_per_rate_subtotal_over_the_limit(
    client, supplier_user, supplier, connection
):
    # Each line fits; their sum at the reduced rate does not.
    client.force_login(supplier_user)
    big = {"quantity": "1000", "unit_price": "999999999999", "tax_category": "AA"}
    lines = [{"description": "A", **big}, {"description": "B", **big}]
    response = client.post(
        reverse("supplier:invoice_new"), form_data(connection, lines)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"8%対象の合計が上限（{LIMIT_TEXT}）を超えています。" in page
    assert _invoices(supplier) == []


def test_service_refuses_a_line_that_rounds_over_the_limit(
    supplier_user, supplier, connection
):
    # 999,999,999,999,999.5 passes the form's check and rounds up to 16
    # digits.
    supplier.tax_rounding = TaxRounding.HALF_UP
    supplier.save()
    lines = [
        LineInput(
            description="端数",
            quantity=Decimal("0.5"),
            unit_price=Decimal("1999999999999999"),
            tax_category="S",
        )
    ]
    with scopes_disabled(), pytest.raises(ValidationError) as raised:
        invoice_draft_save(
            supplier=supplier,
            actor=supplier_user,
            connection=connection,
            fields={
                "number": "A-1",
                "issue_date": date(2025, 4, 10),
                "transaction_date": date(2025, 4, 1),
                "price_basis": PriceBasis.EXCLUSIVE,
            },
            lines=lines,
        )
    assert "1行目: 金額が上限" in " ".join(raised.value.messages)
    assert _invoices(supplier) == []


def test_amount_limit_problems_names_the_first_amount_that_overflows():
    totals = invoice_totals(
        lines=[("S", AMOUNT_MAX)], price_basis=PriceBasis.EXCLUSIVE, rounding="floor"
    )
    # The line and the 10% subtotal fit; only the total (with tax) does not.
    assert amount_limit_problems(amounts=[AMOUNT_MAX], totals=totals) == [
        TOTAL_TOO_LARGE
    ]
    inclusive = invoice_totals(
        lines=[("S", AMOUNT_MAX)], price_basis=PriceBasis.INCLUSIVE, rounding="floor"
    )
    assert amount_limit_problems(amounts=[AMOUNT_MAX], totals=inclusive) == []


def test_csv_upload_refuses_a_total_over_the_limit_with_the_same_message(
    supplier, supplier_user, tenant
):
    data = csv_file([line(tenant.department, 数量="1000", 単価="999999999999")])
    result = csv_parse(data=data, supplier=supplier)
    assert [error.message for error in result.errors] == [TOTAL_TOO_LARGE]
    with pytest.raises(CsvImportError):
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    assert _invoices(supplier) == []
