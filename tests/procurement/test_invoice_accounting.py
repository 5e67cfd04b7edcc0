"""Approval carries the order's 会計年度, 予算科目, 支出負担行為番号 and its
deliveries' 検収日 into the invoice's accounting record (issue 16, points 1,
7 and 9), also for an invoice paid in the 出納整理期間; an invoice without
an order takes the approver's choice of budget code."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import Invoice, InvoiceStatus
from invoices.services.decisions import invoice_approve
from invoices.services.issue import invoice_issue
from municipality.models import InvoiceAccounting
from municipality.treasury.services.accounting import (
    ACCOUNTING_CSV_HEADER,
    batch_accounting_csv,
)
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from procurement.models import InvoiceOrder
from procurement.services.deliveries import (
    DeliveryLineInput,
    InspectionResult,
    delivery_inspect,
    delivery_record,
)
from procurement.services.invoicing import invoice_draft_from_deliveries
from tests.factories import make_invoice
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_bank_account,
    make_settings,
)
from tests.procurement.conftest import make_budget_code, order_day

pytestmark = pytest.mark.django_db


def _inspected_delivery(order, supplier_user, staff, *, number, inspected_on):
    delivery = delivery_record(
        order=order,
        supplier=order.supplier,
        actor=supplier_user,
        number=number,
        delivered_on=order_day() + timedelta(days=1),
        lines=[
            DeliveryLineInput(order_line=line, quantity=Decimal(1))
            for line in order.lines.all()
        ],
    )
    return delivery_inspect(
        delivery=delivery,
        actor=staff,
        result=InspectionResult.ACCEPTED,
        inspected_on=inspected_on,
    )


def _generated_invoice(order, supplier_user, deliveries):
    draft = invoice_draft_from_deliveries(
        order=order,
        supplier=order.supplier,
        actor=supplier_user,
        delivery_ids=[d.pk for d in deliveries],
        number="INV-0001",
        issue_date=timezone.localdate(),
    )
    return invoice_issue(invoice=draft, actor=supplier_user)


def test_approval_carries_the_orders_accounting_facts(
    tenant, confirmed_order, supplier_user
):
    staff = tenant.department_staff
    with scopes_disabled():
        first = order_day() + timedelta(days=2)
        deliveries = [
            _inspected_delivery(
                confirmed_order, supplier_user, staff, number="D-1", inspected_on=first
            ),
            _inspected_delivery(
                confirmed_order,
                supplier_user,
                staff,
                number="D-2",
                inspected_on=first + timedelta(days=3),
            ),
        ]
        invoice = _generated_invoice(confirmed_order, supplier_user, deliveries)
        invoice_approve(
            invoice=invoice, actor=staff, inspection_date=timezone.localdate()
        )
        record = InvoiceAccounting.objects.get(invoice=invoice)
    assert record.fiscal_year == confirmed_order.fiscal_year
    assert record.budget_code == confirmed_order.budget_code
    assert record.commitment_number == confirmed_order.number
    # The latest inspection of the deliveries billed, not the approval's day.
    assert record.inspected_on == first + timedelta(days=3)
    assert record.municipality == tenant.municipality


def test_an_order_invoice_cannot_take_another_budget_code(
    tenant, confirmed_order, supplier_user, budget_code
):
    other = make_budget_code(tenant.municipality, kan="03", kan_name="民生費")
    with scopes_disabled():
        invoice = make_invoice(
            connection=confirmed_order.connection, actor=supplier_user
        )
        InvoiceOrder.objects.create(
            municipality=tenant.municipality, invoice=invoice, order=confirmed_order
        )
        with pytest.raises(ValidationError, match="発注の予算科目を引き継ぐ"):
            invoice_approve(
                invoice=invoice,
                actor=tenant.department_staff,
                inspection_date=timezone.localdate(),
                budget_code=other,
            )
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.ISSUED
        assert not InvoiceAccounting.objects.filter(invoice=invoice).exists()


def test_without_an_order_the_approver_names_a_code_of_the_invoices_year(
    tenant, connection, supplier_user, budget_code
):
    year = budget_code.fiscal_year
    last_year = make_budget_code(tenant.municipality, fiscal_year=year - 1)
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection, actor=supplier_user, transaction_date=order_day()
        )
        # Another year's code: refused, nothing saved.
        with pytest.raises(ValidationError, match=f"{year} 年度の有効なもの"):
            invoice_approve(
                invoice=invoice,
                actor=tenant.department_staff,
                inspection_date=timezone.localdate(),
                budget_code=last_year,
            )
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED
        invoice_approve(
            invoice=invoice,
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
            budget_code=budget_code,
        )
        record = InvoiceAccounting.objects.get(invoice=invoice)
    assert (record.fiscal_year, record.budget_code) == (year, budget_code)
    assert record.commitment_number == ""
    assert record.inspected_on == timezone.localdate()


def test_an_orders_invoice_paid_in_the_closing_period_stays_in_the_orders_year(
    tenant, confirmed_order, supplier_user
):
    """An order of FY N, invoiced and paid in May of N+1 (出納整理期間), is
    FY N: its accounting record, its batch and the 財務会計 CSV say so."""
    year = confirmed_order.fiscal_year
    may = date(year + 1, 5, 10)
    with scopes_disabled():
        make_settings(tenant.municipality)
        make_bank_account(confirmed_order.supplier)
        invoice = make_invoice(
            connection=confirmed_order.connection, actor=supplier_user
        )
        InvoiceOrder.objects.create(
            municipality=tenant.municipality, invoice=invoice, order=confirmed_order
        )
        # Billed for May of the next calendar year (set directly: the
        # invoice is issued today in this test).
        Invoice.objects.filter(pk=invoice.pk).update(transaction_date=may)
        invoice.refresh_from_db()
        invoice = invoice_approve(
            invoice=invoice,
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
        )
        assert InvoiceAccounting.objects.get(invoice=invoice).fiscal_year == year
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(may),
            actor=tenant.treasury,
        )
        batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
        batch.refresh_from_db()
        assert batch.fiscal_year == year
        rows = (
            batch_accounting_csv(batch=batch, actor=tenant.treasury)
            .decode("cp932")
            .splitlines()
        )
    header, row = rows[0].split(","), rows[1].split(",")
    values = dict(zip(header, row, strict=True))
    assert header[-6:] == list(ACCOUNTING_CSV_HEADER[-6:])
    assert values["会計年度"] == str(year)
    assert values["予算科目コード"] == confirmed_order.budget_code.code
    assert values["予算科目名"] == confirmed_order.budget_code.name
    assert values["支出負担行為番号"] == confirmed_order.number


def _approve_url(tenant, invoice):
    return reverse(
        "city:invoice_approve",
        kwargs={"municipality_slug": tenant.municipality.slug, "pk": invoice.pk},
    )


def test_the_approve_page_shows_the_orders_code_and_offers_none(
    client, tenant, confirmed_order, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=confirmed_order.connection, actor=supplier_user
        )
        InvoiceOrder.objects.create(
            municipality=tenant.municipality, invoice=invoice, order=confirmed_order
        )
    client.force_login(tenant.department_staff)
    page = client.get(_approve_url(tenant, invoice)).content.decode()
    assert "発注の予算科目を引き継ぎます" in page
    assert confirmed_order.budget_code.code in page
    assert 'name="budget_code"' not in page


def test_the_approve_form_names_a_code_and_refuses_another_citys(
    client, tenant, other_tenant, connection, supplier_user, budget_code
):
    foreign = make_budget_code(
        other_tenant.municipality, fiscal_year=budget_code.fiscal_year
    )
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection, actor=supplier_user, transaction_date=order_day()
        )
    client.force_login(tenant.department_staff)
    url = _approve_url(tenant, invoice)
    today = timezone.localdate().isoformat()
    page = client.get(url).content.decode()
    assert f'value="{budget_code.pk}"' in page
    assert f'value="{foreign.pk}"' not in page
    refused = client.post(
        url,
        {"inspection_date": today, "budget_code": foreign.pk, "confirmed": "1"},
    )
    assert "有効なものから選んでください" in refused.content.decode()
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status != InvoiceStatus.APPROVED
    client.post(
        url, {"inspection_date": today, "budget_code": budget_code.pk, "confirmed": "1"}
    )
    with scopes_disabled():
        record = InvoiceAccounting.objects.get(invoice=invoice)
    assert record.budget_code == budget_code


def test_a_code_an_approved_invoice_names_keeps_its_codes(
    tenant, connection, supplier_user, budget_code
):
    from procurement.services.budget_codes import budget_code_save

    with scopes_disabled():
        invoice = make_invoice(
            connection=connection, actor=supplier_user, transaction_date=order_day()
        )
        invoice_approve(
            invoice=invoice,
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
            budget_code=budget_code,
        )
        with pytest.raises(ValidationError, match="発注・請求書で使われている"):
            budget_code_save(
                municipality=tenant.municipality,
                actor=tenant.city_admin,
                fields={"kan": "09"},
                budget_code=budget_code,
            )
