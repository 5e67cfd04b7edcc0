"""PostgreSQL only: every query of the list and search pages can be
answered through an index (no sequential scan of the invoices table, even
when the planner is told to avoid one at any cost), and the inbox and the
search read their page in the index's order (no sort of the invoices)."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import Invoice, InvoiceStatus
from tests.factories import ConnectionFactory, make_invoice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]

INBOX = "city:inbox"
SEARCH = "city:invoice_search"


@pytest.fixture
def invoices(tenant, supplier_user, connection):
    with scopes_disabled():
        other = ConnectionFactory(department=tenant.other_department)
        made = [
            make_invoice(connection=c, actor=supplier_user)
            for c in (connection, connection, other)
        ]
        Invoice.objects.filter(pk=made[0].pk).update(status=InvoiceStatus.OPENED)
    return made


def _plans(client, url, query, *, off=("seqscan", "sort")) -> list[tuple[str, str]]:
    """(SQL, plan) of each query on invoices that the page runs, planned
    with sequential scans and sorts (and what else ``off`` names) priced
    out: what is left is what the indexes can do (a test table is too
    small for the planner's own choice to mean anything)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for name in off:
            cursor.execute(f"SET enable_{name} = off")
        try:
            for entry in captured.captured_queries:
                sql = entry["sql"]
                if '"invoices_invoice"' not in sql or not sql.startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN " + sql)
                plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
        finally:
            for name in off:
                cursor.execute(f"RESET enable_{name}")
    assert plans
    return plans


def _no_seq_scan(plans):
    for sql, plan in plans:
        assert "Seq Scan on invoices_invoice" not in plan, (sql, plan)


def _reads_in_order(plans, *indexes: str):
    """The page's rows come from one of ``indexes`` with no sort above it."""
    pages = [(sql, plan) for sql, plan in plans if "ORDER BY" in sql]
    assert pages
    for sql, plan in pages:
        assert any(index in plan for index in indexes), (sql, plan)
        assert "Sort" not in plan, (sql, plan)


ROLES_AND_INDEXES = [
    ("department_staff", "invoice_dept_inbox_"),
    ("treasury", "invoice_city_inbox_"),
    ("city_admin", "invoice_city_inbox_"),
]


@pytest.mark.parametrize(("role", "index"), ROLES_AND_INDEXES)
@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("-received", "received"),
        ("received", "received"),
        ("deadline", "deadline"),
        ("-deadline", "deadline"),
        ("amount", "amount"),
        ("-amount", "amount"),
    ],
)
def test_the_inbox_reads_its_page_from_its_index(
    client, tenant, invoices, role, index, sort, key
):
    client.force_login(getattr(tenant, role))
    url = reverse(INBOX, args=[tenant.municipality.slug])
    plans = _plans(client, url, {"sort": sort})
    _no_seq_scan(plans)
    _reads_in_order(plans, index + key)


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "supplier"},
        {"sort": "-supplier", "status": "opened"},
        {"unopened": "on"},
        {"counterparty": "テスト"},
        {"counterparty": "T"},
        {"number": "INV"},
        {"received_from": "2025-04-01", "amount_min": "1000"},
        {"date_from": "2025-04-01", "date_to": "2025-04-30"},
    ],
)
@pytest.mark.parametrize("role", ["department_staff", "treasury"])
def test_inbox_filters_use_indexes(client, tenant, invoices, role, query):
    client.force_login(getattr(tenant, role))
    url = reverse(INBOX, args=[tenant.municipality.slug])
    _no_seq_scan(_plans(client, url, query))


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"date_from": "2025-04-01", "date_to": "2025-04-30"},
        {"amount_min": "1000", "amount_max": "5000"},
        {"counterparty": "テスト"},
        {"counterparty": "てすと"},
        {"number": "R20"},
        {
            "date_from": "2025-04-01",
            "amount_min": "1000",
            "counterparty": "テスト",
        },
    ],
)
@pytest.mark.parametrize("role", ["department_staff", "treasury"])
def test_the_search_uses_indexes(client, tenant, invoices, role, query):
    client.force_login(getattr(tenant, role))
    url = reverse(SEARCH, args=[tenant.municipality.slug])
    plans = _plans(client, url, query)
    _no_seq_scan(plans)
    if not query:
        _reads_in_order(plans, "_search_period")


def test_the_supplier_list_and_search_use_indexes(client, supplier_user, invoices):
    client.force_login(supplier_user)
    plans = _plans(client, reverse("supplier:invoices"), {})
    _no_seq_scan(plans)
    _reads_in_order(plans, "invoice_supplier_list")
    _no_seq_scan(
        _plans(client, reverse("supplier:invoice_search"), {"counterparty": "部署"})
    )
    plans = _plans(client, reverse("supplier:invoice_search"), {})
    _no_seq_scan(plans)
    # Through the supplier's index or, within the one city it works
    # with, the city's or the supplier-in-a-city one: each gives the order.
    _reads_in_order(plans, "_search_date", "_search_period", "invoice_supplier_city")


def test_payables_use_their_index(client, tenant, invoices):
    with scopes_disabled():
        Invoice.objects.filter(pk=invoices[0].pk).update(
            status=InvoiceStatus.APPROVED, payment_deadline=date(2025, 5, 31)
        )
    client.force_login(tenant.treasury)
    plans = _plans(
        client, reverse("city:payables", args=[tenant.municipality.slug]), {}
    )
    _no_seq_scan(plans)


def test_payables_by_counterparty_use_indexes(client, tenant, invoices):
    with scopes_disabled():
        Invoice.objects.filter(pk=invoices[0].pk).update(status=InvoiceStatus.APPROVED)
    client.force_login(tenant.treasury)
    url = reverse("city:payables", args=[tenant.municipality.slug])
    _no_seq_scan(_plans(client, url, {"counterparty": "テスト"}))


@pytest.mark.parametrize("counterparty", ["", "テスト"])
@pytest.mark.parametrize("page", [SEARCH, INBOX])
def test_city_wide_counts_by_date_name_the_city_and_need_no_rows(
    client, tenant, invoices, page, counterparty
):
    """A city-wide count by 取引日 (and 取引先) names the city as an integer,
    as the GiST index ``invoice_city_period_covering`` holds it, and every
    column it checks is in an index (``invoices.0025``, ``0026``): it can
    count without reading the invoices' rows. Which index the planner
    takes for that depends on the table's size; ``make bench`` shows the
    GiST one at 1,000,000 invoices (a test table holds a few rows)."""
    client.force_login(tenant.treasury)
    url = reverse(page, args=[tenant.municipality.slug])
    day = invoices[0].transaction_date.isoformat()
    query = {"date_from": day, "date_to": day, "counterparty": counterparty}
    off = ("seqscan", "sort", "bitmapscan", "indexscan")
    counts = [
        plan
        for sql, plan in _plans(client, url, query, off=off)
        if "COUNT(" in sql.upper()
    ]
    assert counts
    for plan in counts:
        assert re.search(r"\(municipality_id\)::integer\)? =", plan), plan
        assert "Index Only Scan using invoice_" in plan, plan


def _sql(client, url, query, marker: str) -> list[str]:
    """The SQL of the page's queries on invoices that contain ``marker``
    (``ORDER BY``: a page's; ``COUNT(``: a count's)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if '"invoices_invoice"' in q["sql"] and marker in q["sql"]
    ]


def _page_sql(client, url, query) -> list[str]:
    return _sql(client, url, query, "ORDER BY")


@pytest.mark.parametrize("sort", ["-received", "received"])
def test_a_city_wide_inbox_by_date_in_received_order_is_sorted_on_ids(
    client, tenant, invoices, sort
):
    """The city-wide inbox by a 取引日 range in 受付日 order finds its page's
    ids among the range's invoices in the city's period index (named by
    the city as an integer), which holds the order's columns
    (``invoices.0025``), rather than walking the 受付日 index past every
    invoice received after (or before) the range's. A range longer than
    ``SORTED_PERIOD`` walks, as does, newest first, a range with few
    invoices received after it, and department staff and other orders.
    (Which index the planner takes for it depends on the table's size:
    ``make bench`` shows the period index's index-only scan.)"""
    url = reverse(INBOX, args=[tenant.municipality.slug])
    # A day long past: newest first walks past everything received since.
    day = invoices[0].transaction_date - timedelta(days=100)
    with scopes_disabled():
        Invoice.objects.filter(pk=invoices[0].pk).update(transaction_date=day)
    query = {"date_from": day.isoformat(), "date_to": day.isoformat(), "sort": sort}
    client.force_login(tenant.treasury)
    ids = [sql for sql in _page_sql(client, url, query) if "::integer" in sql]
    assert ids
    assert all(sql.startswith('SELECT "invoices_invoice"."id" AS "pk"') for sql in ids)
    long_range = {**query, "date_from": (day - timedelta(days=730)).isoformat()}
    assert not [s for s in _page_sql(client, url, long_range) if "::integer" in s]
    if sort == "-received":
        # A range of the last days: few invoices received after it.
        today = timezone.localdate().isoformat()
        recent = {**query, "date_from": today, "date_to": today}
        assert not [s for s in _page_sql(client, url, recent) if "::integer" in s]
    by_amount = {**query, "sort": "amount"}
    assert not [s for s in _page_sql(client, url, by_amount) if "::integer" in s]
    client.force_login(tenant.department_staff)
    assert not [s for s in _page_sql(client, url, query) if "::integer" in s]


@pytest.mark.parametrize("page", [SEARCH, INBOX])
def test_a_departments_count_by_date_does_not_name_the_city_twice(
    client, tenant, invoices, page
):
    """Department staff's counts read the department's own 取引日 index,
    not the city's period index (``city_period_hint``)."""
    client.force_login(tenant.department_staff)
    url = reverse(page, args=[tenant.municipality.slug])
    day = invoices[0].transaction_date.isoformat()
    counts = _sql(client, url, {"date_from": day, "date_to": day}, "COUNT(")
    assert counts
    assert not [sql for sql in counts if "::integer" in sql]


@pytest.mark.parametrize("role", ["treasury", "department_staff"])
def test_the_search_by_amount_names_both_halves_of_the_amount_indexes(
    client, tenant, invoices, role
):
    """The count and the page name both values of ``unopened``, so that
    the (city or department, unopened, total, id) indexes can find the
    amounts as two ranges instead of reading every invoice of the city
    (a test table is too small for the planner to pick that index itself;
    ``make bench`` measures it at 1,000,000 invoices)."""
    client.force_login(getattr(tenant, role))
    url = reverse(SEARCH, args=[tenant.municipality.slug])
    plans = _plans(client, url, {"amount_min": "1000", "amount_max": "500000"})
    searched = [plan for sql, plan in plans if '"total" >=' in sql]
    assert searched
    for plan in searched:
        assert "unopened = ANY ('{f,t}'::boolean[])" in plan, plan


@pytest.mark.parametrize("role", ["treasury", "department_staff"])
def test_a_search_by_date_walks_its_index_from_the_ranges_end(
    client, tenant, invoices, role
):
    """A 取引日 range names its end as a bound of ``transaction_date`` too,
    so that a page in 取引日 order can start its index walk there: a range
    years back is not found by reading every newer invoice first. The
    walk reads the index alone (``invoices.0026``)."""
    client.force_login(getattr(tenant, role))
    url = reverse(SEARCH, args=[tenant.municipality.slug])
    plans = _plans(client, url, {"date_from": "2019-04-01", "date_to": "2020-03-31"})
    pages = [plan for sql, plan in plans if "ORDER BY" in sql]
    assert pages
    for plan in pages:
        assert "Index Only Scan Backward using invoice_" in plan, plan
        assert "_search_period" in plan, plan
        conditions = [line for line in plan.splitlines() if "Index Cond:" in line]
        assert any("transaction_date <= '2020-03-31'" in c for c in conditions), plan


def test_the_planner_knows_how_many_invoices_a_date_range_holds(
    supplier_user, invoices
):
    """The partial period indexes' own statistics are not used for
    estimates; the extended statistics on the period expression are
    (``invoices.0024``): a range holding every invoice is estimated as
    that, not as PostgreSQL's default 1% of the table."""
    with scopes_disabled():
        for _ in range(40):
            make_invoice(connection=invoices[0].connection, actor=supplier_user)
        total = Invoice.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE invoices_invoice")
        cursor.execute(
            "EXPLAIN SELECT 1 FROM invoices_invoice WHERE daterange("
            "transaction_date, COALESCE(transaction_end_date, transaction_date),"
            " '[]') && '[2000-01-01,2100-01-01)'::daterange"
        )
        plan = cursor.fetchone()[0]
    estimated = int(plan.split("rows=")[1].split()[0])
    assert estimated > total / 2, (plan, total)
