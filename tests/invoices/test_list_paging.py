"""Keyset pages (invoices.paging) of the inbox, the search and the
supplier's list: walking every page forward by 次へ and back by 前へ shows
each invoice exactly once, in the list's order, across ties and across the
unopened / opened boundary; the stored 未開封 flag follows every
transition."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.filters import SORTS, inbox_order, inbox_parts
from invoices.models import Invoice, InvoiceStatus
from invoices.paging import COUNT_LIMIT, keyset_page
from invoices.selectors import invoice_list_for_access
from invoices.services.decisions import (
    invoice_approve,
    invoice_return,
    invoice_view_record,
    invoice_withdraw,
)
from invoices.services.issue import invoice_issue
from invoices.workflow import TRANSITIONS, invoice_transition
from municipality.tenancy import city_access_for
from tests.factories import ConnectionFactory, SupplierFactory, make_invoice

pytestmark = pytest.mark.django_db

S = InvoiceStatus


def _set(invoice, **fields):
    """Test data only: rows as they would be after the workflow ran."""
    Invoice.objects.filter(pk=invoice.pk).update(**fields)


@pytest.fixture
def crowd(tenant, supplier_user):
    """14 invoices with ties on every sort key, missing deadlines, and
    issued, opened, approved and returned ones mixed."""
    with scopes_disabled():
        # Two suppliers with the same kana: the tie is broken by supplier.
        suppliers = [
            SupplierFactory(name_kana="アオバ"),
            SupplierFactory(name_kana="アオバ"),
            SupplierFactory(name_kana="カモメ"),
        ]
        connections = [
            ConnectionFactory(supplier=s, department=tenant.department)
            for s in suppliers
        ]
        when = timezone.now().replace(microsecond=0)
        statuses = [S.ISSUED, S.OPENED, S.APPROVED, S.ISSUED, S.RETURNED, S.OPENED]
        invoices = []
        for i in range(14):
            invoice = make_invoice(connection=connections[i % 3], actor=supplier_user)
            _set(
                invoice,
                status=statuses[i % len(statuses)],
                # Groups of three received at the same second.
                received_at=when - timedelta(hours=i // 3),
                total=1000 * (i // 2),
                subtotal=1000 * (i // 2),
                tax_total=0,
                payment_deadline=None
                if i % 5 == 0
                else date(2025, 5, 1) + timedelta(days=i // 4),
            )
            invoices.append(invoice)
    return invoices


def _visible(tenant):
    access = city_access_for(tenant.city_admin, tenant.municipality.slug)
    return invoice_list_for_access(access=access).order_by()


def _flat(pages: list[list[int]]) -> list[int]:
    return [pk for page in pages for pk in page]


def _walk(queryset, parts, per_page, *, ids_first=False):
    """The pages from the first by 次へ, then from the last by 前へ."""
    forward, query = [], {}
    while True:
        page = keyset_page(queryset, parts, query, per_page, ids_first=ids_first)
        forward.append([invoice.pk for invoice in page.object_list])
        if not page.has_next:
            break
        query = {"after": page.next_token}
    backward = [forward[-1]]
    while page.has_previous:
        page = keyset_page(
            queryset,
            parts,
            {"before": page.previous_token},
            per_page,
            ids_first=ids_first,
        )
        backward.insert(0, [invoice.pk for invoice in page.object_list])
    return forward, backward


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("per_page", [1, 4, 5])
def test_walking_the_pages_shows_each_invoice_once_in_order(
    tenant, crowd, sort, per_page
):
    with scopes_disabled():
        visible = _visible(tenant)
        expected = list(inbox_order(visible, sort).values_list("pk", flat=True))
        forward, backward = _walk(visible, inbox_parts(sort), per_page)

    assert _flat(forward) == expected
    assert len(expected) == 14
    assert all(len(page) == per_page for page in forward[:-1])
    # Back from the last page: the same pages (the first one may be cut
    # where the walk back meets the start, then filled to a full page).
    assert _flat(backward)[-len(forward[-1]) :] == forward[-1]
    assert backward[0] == forward[0]
    assert sorted(_flat(backward)) == sorted(expected)


@pytest.mark.parametrize("sort", ["-received", "received", "supplier"])
@pytest.mark.parametrize("per_page", [1, 4])
def test_pages_sorted_on_ids_first_are_the_walks_pages(tenant, crowd, sort, per_page):
    """A page's order found on ids alone (the city-wide inbox by a 取引日
    range, ``InboxView.keyset_sorted_queryset``) gives the walk's pages,
    forward and back, across ties and the unopened / opened boundary."""
    with scopes_disabled():
        visible = _visible(tenant)
        walked = _walk(visible, inbox_parts(sort), per_page)
        from_ids = _walk(visible, inbox_parts(sort), per_page, ids_first=True)
    assert from_ids == walked
    assert len(_flat(walked[0])) == 14


@pytest.mark.parametrize("status", [S.ISSUED, S.OPENED])
def test_a_status_filter_walks_only_its_part(tenant, crowd, status):
    with scopes_disabled():
        visible = _visible(tenant).filter(status=status)
        parts = inbox_parts("-received", status=status)
        forward, _back = _walk(visible, parts, 2)
        expected = list(inbox_order(visible, "-received").values_list("pk", flat=True))
    assert len(parts) == 1
    assert _flat(forward) == expected


def test_an_edited_cursor_shows_the_first_page(tenant, crowd):
    with scopes_disabled():
        visible = _visible(tenant)
        parts = inbox_parts("-received")
        first = keyset_page(visible, parts, {}, 4)
        for token in ["garbage", "W1swXQ", "WzksWzFdXQ", first.next_token[:-3]]:
            page = keyset_page(visible, parts, {"after": token}, 4)
            assert page.object_list == first.object_list
            assert not page.has_previous


def _rows(response) -> list[int]:
    return [invoice.pk for invoice in response.context["invoices"]]


def _link(response, rel: str) -> str | None:
    match = re.search(rf'href="(\?[^"]*)" rel="{rel}"', response.content.decode())
    return unescape(match.group(1)) if match else None


def test_inbox_links_walk_every_invoice_and_back(client, tenant, supplier_user):
    with scopes_disabled():
        connection = ConnectionFactory(department=tenant.department)
        invoices = [
            make_invoice(connection=connection, actor=supplier_user) for _ in range(45)
        ]
        # Opened ones behind the unopened: the pages cross the boundary.
        for invoice in invoices[::3]:
            _set(invoice, status=S.OPENED)
    client.force_login(tenant.department_staff)
    url = reverse("city:inbox", args=[tenant.municipality.slug])

    response = client.get(url, {"per_page": "20", "sort": "amount"})
    assert response.context["paginator"].count == 45
    assert "全 45 件" in response.content.decode()
    seen = _rows(response)
    pages = [response]
    while link := _link(response, "next"):
        assert "sort=amount" in link
        assert "per_page=20" in link
        response = client.get(url + link)
        seen += _rows(response)
        pages.append(response)
    assert len(pages) == 3
    assert sorted(seen) == sorted(invoice.pk for invoice in invoices)
    assert len(set(seen)) == 45

    back = client.get(url + _link(pages[-1], "prev"))
    assert _rows(back) == _rows(pages[1])
    first = client.get(url + _link(back, "first"))
    assert _rows(first) == _rows(pages[0])
    assert _link(first, "prev") is None


def test_counts_stop_at_the_limit(tenant, crowd, monkeypatch):
    monkeypatch.setattr("invoices.paging.COUNT_LIMIT", 10)
    with scopes_disabled():
        from invoices.paging import KeysetPaginator

        paginator = KeysetPaginator(_visible(tenant), 50)
        assert paginator.count == 11
        assert paginator.count_capped
    assert COUNT_LIMIT == 10_000


def test_search_and_supplier_list_walk_every_invoice(
    client, tenant, supplier_user, crowd
):
    client.force_login(tenant.city_admin)
    url = reverse("city:invoice_search", args=[tenant.municipality.slug])
    with scopes_disabled():
        expected = list(
            _visible(tenant)
            .order_by("-transaction_date", "-pk")
            .values_list("pk", flat=True)
        )
    # The search pages by 50: more than one page needs more invoices.
    with scopes_disabled():
        connection = ConnectionFactory(department=tenant.department)
        extra = [
            make_invoice(
                connection=connection,
                actor=supplier_user,
                transaction_date=date(2025, 4, 1) + timedelta(days=i % 3),
            ).pk
            for i in range(40)
        ]
        expected = list(
            _visible(tenant)
            .order_by("-transaction_date", "-pk")
            .values_list("pk", flat=True)
        )
    response = client.get(url)
    seen = _rows(response)
    while link := _link(response, "next"):
        response = client.get(url + link)
        seen += _rows(response)
    assert seen == expected
    assert set(extra) <= set(seen)


# The stored 未開封 flag -----------------------------------------------------

# How to reach each status from a draft, by the transition table.
PATHS = {
    S.DRAFT: [],
    S.ISSUED: [S.ISSUED],
    S.OPENED: [S.ISSUED, S.OPENED],
    S.RETURNED: [S.ISSUED, S.OPENED, S.RETURNED],
    S.APPROVED: [S.ISSUED, S.OPENED, S.APPROVED],
    S.WITHDRAWN: [S.ISSUED, S.WITHDRAWN],
    S.SCHEDULED: [S.ISSUED, S.OPENED, S.APPROVED, S.SCHEDULED],
    S.PAID: [S.ISSUED, S.OPENED, S.APPROVED, S.SCHEDULED, S.PAID],
}


def _move(invoice, status, tenant, supplier_user):
    if status == S.ISSUED:
        return invoice_issue(invoice=invoice, actor=supplier_user)
    return invoice_transition(invoice=invoice, to=status, actor=tenant.department_staff)


def _unopened(invoice) -> bool:
    return Invoice.objects.values_list("unopened", flat=True).get(pk=invoice.pk)


@pytest.mark.parametrize(
    ("source", "target"),
    sorted(
        (source, target)
        for source, targets in TRANSITIONS.items()
        for target in targets
    ),
)
def test_every_transition_leaves_the_unopened_flag_right(
    tenant, connection, supplier_user, source, target
):
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user, issue=False)
        for status in PATHS[source]:
            invoice = _move(invoice, status, tenant, supplier_user)
        assert _unopened(invoice) == (source == S.ISSUED)
        invoice = _move(invoice, target, tenant, supplier_user)
        assert _unopened(invoice) == (target == S.ISSUED)


def test_the_services_keep_the_unopened_flag(tenant, connection, supplier_user):
    with scopes_disabled():
        staff = tenant.department_staff
        opened = make_invoice(connection=connection, actor=supplier_user)
        assert _unopened(opened)
        invoice_view_record(invoice=opened, actor=staff)
        assert not _unopened(opened)
        invoice_approve(invoice=opened, actor=staff, inspection_date=date(2025, 4, 30))
        assert not _unopened(opened)

        returned = make_invoice(connection=connection, actor=supplier_user)
        invoice_view_record(invoice=returned, actor=staff)
        invoice_return(
            invoice=returned,
            actor=staff,
            reason="amount",
            explanation="金額が違います",
            severity="minor",
        )
        assert not _unopened(returned)

        withdrawn = make_invoice(connection=connection, actor=supplier_user)
        invoice_withdraw(invoice=withdrawn, actor=supplier_user)
        assert not _unopened(withdrawn)

        # Treasury reading along does not open it: still first in the inbox.
        looked_at = make_invoice(connection=connection, actor=supplier_user)
        invoice_view_record(invoice=looked_at, actor=tenant.treasury, opens=False)
        assert _unopened(looked_at)
