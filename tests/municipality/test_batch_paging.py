"""A batch's page at any size (issue 14): its transfers and invoices a page
at a time, the totals of the whole batch, the totals of the suppliers on
the page, a constant number of queries, and its actions still there."""

from decimal import Decimal

import pytest
from django import forms
from django.db import connection as db_connection
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.fields import PlainSelect
from invoices.services.drafts import LineInput
from municipality.models import PaymentNotice, TreasurySettings
from municipality.treasury.selectors.batches import (
    batch_invoices,
    planned_page,
    planned_transfers,
    transfers_plan,
)
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.services.payees import payee_choose
from municipality.treasury.views import (
    batches as batch_views,
    supplier as supplier_views,
)
from partners.models import BankAccount, LegalForm
from tests.factories import PASSWORD, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_bank_account,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

PAGE = 2


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(batch_views, "BATCH_PAGE_SIZE", PAGE)


@pytest.fixture
def batch(tenant):
    """A draft batch of three suppliers' invoices, two each."""
    with scopes_disabled():
        make_settings(tenant.municipality)
        invoices, users = [], []
        for _ in range(3):
            user, connection = make_supplier(tenant.department)
            users.append(user)
            invoices += [make_approved(tenant, user, connection) for _ in range(2)]
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
        )
    batch.invoices, batch.users = invoices, users
    return batch


def _page(client, tenant, batch, query=""):
    client.login(email=tenant.treasury.email, password=PASSWORD)
    response = client.get(f"/m/kanoya/treasury/batches/{batch.pk}/{query}")
    assert response.status_code == 200
    return response


def _paid(tenant, batch):
    with scopes_disabled():
        batch_export(batch=batch, actor=tenant.treasury)
        payment_day_reached(batch)
        batch_mark_paid(batch=batch, actor=tenant.treasury)


@pytest.mark.parametrize("state", ["draft", "paid"])
def test_the_batch_page_is_paged_with_the_whole_batchs_totals(
    client, tenant, batch, state
):
    if state == "paid":
        _paid(tenant, batch)
    total = sum(invoice.total for invoice in batch.invoices)
    seen_invoices, seen_transfers = [], []
    for number in (1, 2, 3):
        response = _page(
            client, tenant, batch, f"?invoices={number}&transfers={number}"
        )
        context = response.context
        assert context["totals"].amount == total
        assert context["totals"].count == 3  # one transfer per supplier
        assert context["invoice_count"] == 6
        assert len(context["invoices"]) == PAGE
        seen_invoices += [invoice.pk for invoice in context["invoices"]]
        transfers = [transfer for transfer, _ in context["transfers"]]
        # Three transfers make two pages; a page past the last shows the last.
        assert len(transfers) == (PAGE if number == 1 else 1)
        seen_transfers += [transfer.supplier.pk for transfer in transfers]
        # The supplier totals: those on the page, over the whole batch.
        assert [(s.pk, row.count) for s, row in context["supplier_totals"]] == [
            (transfer.supplier.pk, 1) for transfer in transfers
        ]
        page = response.content.decode()
        assert "全 6 件" in page
        assert f"{number} / 3 ページ" in page
    assert sorted(seen_invoices) == sorted(i.pk for i in batch.invoices)
    assert len(set(seen_transfers)) == 3
    # The links stay on the batch's page and keep the other list's page.
    page = _page(client, tenant, batch, "?transfers=2").content.decode()
    assert (
        f'href="/m/kanoya/treasury/batches/{batch.pk}/?transfers=2&amp;invoices=2'
        in (page)
    )


def test_a_refused_action_shows_the_paged_batch_with_links_to_its_page(
    client, tenant, batch
):
    client.login(email=tenant.treasury.email, password=PASSWORD)
    response = client.post(
        f"/m/kanoya/treasury/batches/{batch.pk}/remove/", {"invoice": "x"}
    )
    assert response.status_code == 200
    assert "外す請求書が指定されていません" in response.content.decode()
    assert len(response.context["invoices"]) == PAGE
    assert response.context["invoice_page"].next_url.startswith(
        f"/m/kanoya/treasury/batches/{batch.pk}/?invoices=2"
    )


def test_an_invoice_on_a_later_page_can_be_removed(client, tenant, batch):
    (*_, last) = _page(client, tenant, batch, "?invoices=3").context["invoices"]
    response = client.post(
        f"/m/kanoya/treasury/batches/{batch.pk}/remove/", {"invoice": last.pk}
    )
    assert response.status_code == 302
    assert _page(client, tenant, batch).context["invoice_count"] == 5


def test_the_confirmation_step_shows_every_invoice(client, tenant, batch):
    client.login(email=tenant.treasury.email, password=PASSWORD)
    response = client.get(f"/m/kanoya/treasury/batches/{batch.pk}/export/")
    assert response.status_code == 200
    assert len(response.context["invoices"]) == 6
    assert len(response.context["supplier_totals"]) == 3
    page = response.content.decode()
    assert all(invoice.number in page for invoice in batch.invoices)


@pytest.mark.parametrize("state", ["draft", "paid"])
def test_the_batch_page_uses_a_constant_number_of_queries(client, tenant, batch, state):
    def queries(query=""):
        url = f"/m/kanoya/treasury/batches/{batch.pk}/{query}"
        with CaptureQueriesContext(db_connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    if state == "paid":
        _paid(tenant, batch)
    client.login(email=tenant.treasury.email, password=PASSWORD)
    queries()  # the session's first request reads more
    small = queries()
    with scopes_disabled():
        invoices = []
        for _ in range(4):
            user, connection = make_supplier(tenant.department)
            invoices += [make_approved(tenant, user, connection) for _ in range(3)]
        if state == "draft":
            batch_add_invoices(
                batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
            )
    if state == "paid":
        # A second, larger paid batch.
        with scopes_disabled():
            batch = batch_create(
                municipality=tenant.municipality,
                payment_date=business_day_after(timezone.localdate()),
                actor=tenant.treasury,
            )
            batch_add_invoices(
                batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
            )
        _paid(tenant, batch)
    assert queries() == small
    assert queries("?invoices=3&transfers=2") == small


def test_a_suppliers_payment_notice_lists_its_invoices_a_page_at_a_time(
    client, tenant, batch, monkeypatch
):
    monkeypatch.setattr(supplier_views.PaymentNoticeDetailView, "paginate_by", 1)
    _paid(tenant, batch)
    user = batch.users[0]
    with scopes_disabled():
        notice = PaymentNotice.objects.get(
            batch=batch, supplier__memberships__user=user
        )
        numbers = set(notice.invoices.values_list("number", flat=True))
    client.login(email=user.email, password=PASSWORD)
    url = f"/supplier/payment-notices/{notice.pk}/"
    seen, queries = set(), []
    for page in (1, 2):
        with CaptureQueriesContext(db_connection) as ctx:
            response = client.get(f"{url}?page={page}")
        assert response.status_code == 200
        (invoice,) = response.context["invoices"]
        seen.add(invoice.number)
        assert f"{page} / 2 ページ（全 2 件）" in response.content.decode()
        queries.append(len(ctx))
    assert seen == numbers
    assert queries[0] == queries[1]


@pytest.mark.parametrize("value", [None, "", "2", 2])
def test_the_plain_select_writes_what_djangos_select_writes(value):
    choices = [("", "すべて"), (1, "総務課 <本庁>"), (2, "会計課 & 出納室")]
    attrs = {"id": "id_department", "aria-invalid": "true"}
    plain = PlainSelect(choices=choices).render("department", value, attrs)
    django = forms.Select(choices=choices).render("department", value, attrs)
    assert parse_html(plain) == parse_html(django)


def test_the_plan_summed_in_sql_is_the_plan_of_the_export(tenant, batch):
    """The batch's page sums its transfers in SQL (``planned_transfers``)
    and reads a page's invoices (``planned_page``); the export plans from
    ``Invoice`` objects (``transfers_plan``). The same transfers, accounts,
    invoices, amounts, withholding and fees, in the same order: also for a
    supplier paid to two accounts (one of them the treasury's choice,
    shared by a later invoice naming it) and for an individual's fee."""
    with scopes_disabled():
        first, second = batch.invoices[0], batch.invoices[1]
        supplier = first.supplier
        named = BankAccount.objects.get(supplier=supplier)
        named.account_number = "7777777"  # changed since both were issued
        named.save()
        chosen = make_bank_account(supplier, account_number="2222222")
        payee_choose(
            invoice=second,
            bank_account=chosen,
            reason="口座変更の届出",
            actor=tenant.treasury,
        )
        later = make_approved(tenant, batch.users[0], first.connection)
        user, connection = make_supplier(tenant.department)
        connection.supplier.legal_form = LegalForm.INDIVIDUAL
        connection.supplier.save()
        fee = LineInput(
            "講演料", Decimal(1), Decimal(100000), "S", "式", withholding=True
        )
        individual = make_approved(tenant, user, connection, lines=[fee])
        batch_add_invoices(
            batch=batch,
            invoice_ids=[later.pk, individual.pk],
            actor=tenant.treasury,
        )
        settings = TreasurySettings.objects.get(municipality=tenant.municipality)
        summed = planned_page(
            planned_transfers(batch=batch, settings=settings), batch=batch
        )
        planned = transfers_plan(
            invoices=list(batch_invoices(batch=batch)), settings=settings
        )

    def figures(transfer):
        return (
            transfer.supplier.pk,
            transfer.bank_account,
            transfer.amount,
            transfer.withholding_tax,
            transfer.fee,
        )

    assert [(figures(t), numbers) for t, numbers in summed] == [
        (figures(t), [i.number for i in t.invoices]) for t in planned
    ]
    assert len(planned) == 5
    assert [
        (transfer.bank_account["account_number"], numbers)
        for transfer, numbers in summed
        if transfer.supplier == supplier
    ] == [
        ("1234567", [first.number]),  # still planned to it, flagged
        ("2222222", [second.number, later.number]),
    ]
    assert any(transfer.withholding_tax for transfer, _ in summed)
