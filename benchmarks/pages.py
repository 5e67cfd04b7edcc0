"""Every list and search page, timed with Django's test client.

Each page is requested as the role that uses it (``PAGES``), once to warm
up and count its queries (``CaptureQueriesContext``), then ``runs`` times
for the median and p95 of its server time. Its floor is its slowest query
of the counted request (the page's main SQL), run bare through a cursor
the same number of times in the same run: what the page would cost if
Django, the template and every other query took no time.
"""

import math
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from config.gc_freeze import freeze_after_first_request
from invoices.filters import inbox_parts
from invoices.models import Invoice, InvoiceStatus
from invoices.paging import AFTER, Cursor
from invoices.views.supplier import SUPPLIER_LIST_ORDER
from municipality.models import (
    BatchStatus,
    Department,
    Municipality,
    PaymentBatch,
    PaymentNotice,
    StaffMembership,
    StaffRole,
)
from partners.models import Supplier, SupplierMembership, SupplierRole

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # department, treasury, city_admin or supplier
    url: str


@dataclass
class PageResult:
    name: str
    role: str
    url: str
    status: int
    median_ms: float
    p95_ms: float
    queries: int
    floor_ms: float
    main_sql: str

    @property
    def ratio(self) -> float:
        return self.median_ms / self.floor_ms if self.floor_ms else math.nan

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 2)}


@dataclass
class Subjects:
    """Who and what the pages are measured with: the municipality with the
    most invoices, its busiest department and that department's staff
    member, its treasury and administrator, the supplier with the most
    invoices, the largest batch and payment notice."""

    slug: str
    users: dict  # role → User
    department: Department
    department_invoices: int
    city_invoices: int
    supplier: Supplier
    supplier_invoices: int
    name: str  # a supplier name to search for, as typed
    kana: str
    registration_number: str
    batch: PaymentBatch | None
    notice: PaymentNotice | None
    last_month: tuple[str, str]
    # ?after= of a page in the middle of each long list (keyset pages are
    # reached by 「次へ」, not by number).
    middle: dict


def _middle(invoices, parts) -> str:
    """The query string of the page after the middle row of ``invoices``'s
    largest part in the order of ``parts``."""
    counts = [invoices.filter(part.where).count() for part in parts]
    index = counts.index(max(counts))
    part = parts[index]
    rows = invoices.filter(part.where).order_by(*part.fixed, *part.keys)
    row = rows[counts[index] // 2]
    return urlencode({AFTER: Cursor.of(parts, index, row).token()})


def _pages_of(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))


def subjects_find() -> Subjects:
    with scopes_disabled():
        municipality = Municipality.objects.annotate(n=Count("invoices")).latest("n")
        department = (
            Department.objects.filter(municipality=municipality)
            .annotate(n=Count("invoices"))
            .latest("n")
        )
        staff = StaffMembership.objects.filter(
            municipality=municipality, role=StaffRole.DEPARTMENT, departments=department
        ).first()
        roles = {
            role: StaffMembership.objects.get(municipality=municipality, role=role)
            for role in (StaffRole.TREASURY, StaffRole.CITY_ADMIN)
        }
        supplier = Supplier.objects.annotate(n=Count("invoices")).latest("n")
        owner = SupplierMembership.objects.get(
            supplier=supplier, role=SupplierRole.OWNER
        )
        # Another supplier of the department, searched for by part of its name
        # (the company form left out, as people type it).
        other = (
            Supplier.objects.filter(invoices__department=department)
            .exclude(pk=supplier.pk)
            .annotate(n=Count("invoices"))
            .latest("n")
        )
        batch = (
            PaymentBatch.objects.filter(municipality=municipality)
            .annotate(n=Count("items"))
            .order_by("-n")
            .first()
        )
        notice = (
            PaymentNotice.objects.filter(
                supplier=supplier, batch__status=BatchStatus.PAID
            )
            .annotate(n=Count("invoices"))
            .order_by("-n")
            .first()
        )
        issued = Invoice.objects.filter(municipality=municipality).exclude(
            status=InvoiceStatus.DRAFT
        )
        in_department = issued.filter(department=department)
        middle = {
            "department": _middle(in_department, inbox_parts("-received")),
            "city": _middle(issued, inbox_parts("-received")),
            "city_kana": _middle(issued, inbox_parts("supplier")),
            "supplier": _middle(
                Invoice.objects.filter(supplier=supplier), [SUPPLIER_LIST_ORDER]
            ),
        }
        newest = (
            Invoice.objects.filter(municipality=municipality)
            .exclude(status=InvoiceStatus.DRAFT)
            .latest("transaction_date")
            .transaction_date
        )
        return Subjects(
            slug=municipality.slug,
            users={
                "department": staff.user,
                "treasury": roles[StaffRole.TREASURY].user,
                "city_admin": roles[StaffRole.CITY_ADMIN].user,
                "supplier": owner.user,
            },
            department=department,
            department_invoices=department.n,
            city_invoices=municipality.n,
            supplier=supplier,
            supplier_invoices=supplier.n,
            name=other.legal_name.replace("株式会社", "").replace("有限会社", "")[:4],
            kana=other.name_kana[:5],
            registration_number=other.registration_number,
            batch=batch,
            notice=notice,
            middle=middle,
            last_month=(
                (newest - timedelta(days=30)).isoformat(),
                newest.isoformat(),
            ),
        )


def pages_for(s: Subjects) -> list[Page]:
    city = f"/m/{s.slug}"
    dept_pages = _pages_of(s.department_invoices)
    city_pages = _pages_of(s.city_invoices)
    supplier_pages = _pages_of(s.supplier_invoices)
    date_from, date_to = s.last_month
    # 会計年度 (April to March): the last whole one, and a quarter of the
    # one four years before it.
    newest = date.fromisoformat(date_to)
    year = newest.year - (2 if newest.month < 4 else 1)
    last_year = {"date_from": f"{year}-04-01", "date_to": f"{year + 1}-03-31"}
    old_quarter = {"date_from": f"{year - 4}-04-01", "date_to": f"{year - 4}-06-30"}
    search = f"{city}/invoices/search/?"
    pages = [
        Page("department inbox, first page", "department", f"{city}/inbox/"),
        Page(
            f"department inbox, a page in the middle (of {dept_pages})",
            "department",
            f"{city}/inbox/?{s.middle['department']}",
        ),
        Page(
            "department inbox, oldest first (the last page)",
            "department",
            f"{city}/inbox/?sort=received",
        ),
        Page(
            "department inbox, counterparty name",
            "department",
            f"{city}/inbox/?" + urlencode({"counterparty": s.name}),
        ),
        Page(
            "department inbox, a name most suppliers match (株式会社)",
            "department",
            f"{city}/inbox/?" + urlencode({"counterparty": "株式会社"}),
        ),
        Page(
            "department inbox, unopened only",
            "department",
            f"{city}/inbox/?unopened=on",
        ),
        Page(
            "department inbox, by amount (largest first)",
            "department",
            f"{city}/inbox/?sort=-amount",
        ),
        Page(
            "department inbox, by supplier (kana)",
            "department",
            f"{city}/inbox/?sort=supplier",
        ),
        Page("city-wide inbox (treasury)", "treasury", f"{city}/inbox/"),
        Page("city-wide inbox (city admin)", "city_admin", f"{city}/inbox/"),
        Page(
            f"city-wide inbox, a page in the middle (of {city_pages})",
            "treasury",
            f"{city}/inbox/?{s.middle['city']}",
        ),
        Page(
            "city-wide inbox, by supplier (kana), a page in the middle",
            "treasury",
            f"{city}/inbox/?sort=supplier&{s.middle['city_kana']}",
        ),
        Page(
            "city-wide inbox, counterparty name",
            "treasury",
            f"{city}/inbox/?" + urlencode({"counterparty": s.name}),
        ),
        Page(
            "city-wide inbox, 取引日 range (30 days), by supplier (kana)",
            "treasury",
            f"{city}/inbox/?"
            + urlencode(
                {"date_from": date_from, "date_to": date_to, "sort": "supplier"}
            ),
        ),
        Page(
            "city-wide inbox, by supplier (kana, reversed)",
            "treasury",
            f"{city}/inbox/?sort=-supplier",
        ),
        Page(
            "city-wide inbox, by deadline",
            "city_admin",
            f"{city}/inbox/?sort=deadline",
        ),
        Page(
            "電帳法 search, date range (30 days)",
            "treasury",
            search + urlencode({"date_from": date_from, "date_to": date_to}),
        ),
        Page(
            "電帳法 search, amount range",
            "treasury",
            search + urlencode({"amount_min": 100000, "amount_max": 120000}),
        ),
        Page(
            "電帳法 search, counterparty by name",
            "treasury",
            search + urlencode({"counterparty": s.name}),
        ),
        Page(
            "電帳法 search, counterparty by kana",
            "treasury",
            search + urlencode({"counterparty": s.kana}),
        ),
        Page(
            "電帳法 search, registration number",
            "treasury",
            search + urlencode({"counterparty": s.registration_number}),
        ),
        Page(
            "電帳法 search, date + amount + name",
            "treasury",
            search
            + urlencode(
                {
                    "date_from": date_from,
                    "date_to": date_to,
                    "amount_min": 10000,
                    "amount_max": 500000,
                    "counterparty": s.name,
                }
            ),
        ),
        Page(
            "電帳法 search, department staff, name",
            "department",
            search + urlencode({"counterparty": s.name}),
        ),
        Page(
            "電帳法 search, the last fiscal year + a name most suppliers match",
            "treasury",
            search + urlencode({**last_year, "counterparty": "株式会社"}),
        ),
        Page(
            "電帳法 search, department staff, the last fiscal year + 株式会社",
            "department",
            search + urlencode({**last_year, "counterparty": "株式会社"}),
        ),
        # Newest received first, this walked past every invoice received
        # after the range's (README, "Rules that hold everywhere").
        Page(
            "city-wide inbox, 取引日 range: a quarter four years back",
            "treasury",
            f"{city}/inbox/?" + urlencode(old_quarter),
        ),
        Page("supplier: invoice list", "supplier", "/supplier/invoices/"),
        Page(
            f"supplier: invoice list, a page in the middle (of {supplier_pages})",
            "supplier",
            f"/supplier/invoices/?{s.middle['supplier']}",
        ),
        Page(
            "supplier: 電帳法 search, date + amount",
            "supplier",
            "/supplier/invoices/search/?"
            + urlencode(
                {
                    "date_from": date_from,
                    "date_to": date_to,
                    "amount_min": 10000,
                    "amount_max": 500000,
                }
            ),
        ),
        Page("supplier: home", "supplier", "/supplier/"),
        Page("treasury: dashboard", "treasury", f"{city}/treasury/"),
        Page("treasury: payables", "treasury", f"{city}/treasury/payables/"),
        Page("treasury: payment batches", "treasury", f"{city}/treasury/batches/"),
        Page(
            "treasury: payment batches, the last page",
            "treasury",
            f"{city}/treasury/batches/?page=last",
        ),
        Page(
            "treasury: withholding statement",
            "treasury",
            f"{city}/treasury/withholding/",
        ),
        Page("supplier: payment notices", "supplier", "/supplier/payment-notices/"),
        Page(
            "department page: its suppliers",
            "city_admin",
            f"{city}/inbox/{s.department.code}/",
        ),
        Page("city admin: console", "city_admin", f"{city}/manage/"),
        Page("city admin: audit log", "city_admin", f"{city}/manage/audit/"),
        Page("city admin: staff", "city_admin", f"{city}/manage/staff/"),
        Page("city admin: departments", "city_admin", f"{city}/manage/departments/"),
        Page(
            "city admin: invitation requests",
            "city_admin",
            f"{city}/manage/requests/",
        ),
        Page("city admin: invitations", "city_admin", f"{city}/manage/invitations/"),
    ]
    if s.batch:
        pages.append(
            Page(
                f"treasury: largest batch, its notices ({s.batch.n} invoices)",
                "treasury",
                f"{city}/treasury/batches/{s.batch.pk}/",
            )
        )
    if s.notice:
        pages.append(
            Page(
                f"supplier: payment notice ({s.notice.n} invoices)",
                "supplier",
                f"/supplier/payment-notices/{s.notice.pk}/",
            )
        )
    return pages + procurement_pages(s) + api_pages(s)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def _main_sql(queries: list[dict]) -> str:
    """The slowest read of a request (Django records each one's time): a
    write (the API's call log, a key's last use) is not the page's SQL,
    and is not run again."""
    reads = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return max(reads, key=lambda q: float(q["time"]))["sql"] if reads else ""


def _floor(sql: str, runs: int) -> float:
    """Median milliseconds of ``sql`` run bare, its rows fetched."""
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def page_measure(client: Client, page: Page, runs: int) -> PageResult:
    with CaptureQueriesContext(connection) as context:
        status = client.get(page.url).status_code
    # Read now: the next request clears Django's query log.
    queries = context.captured_queries
    main_sql = _main_sql(queries)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(page.url)
        times.append((time.perf_counter() - started) * 1000)
    return PageResult(
        name=page.name,
        role=page.role,
        url=page.url,
        status=status,
        median_ms=round(statistics.median(times), 1),
        p95_ms=round(_percentile(times, 0.95), 1),
        queries=len(queries),
        floor_ms=round(_floor(main_sql, runs), 1) if main_sql else 0.0,
        main_sql=main_sql,
    )


def pages_measure(*, runs: int = 20, only: str = "", log=print) -> list[PageResult]:
    """Every page, or those whose name contains one of the comma-separated
    parts of ``only``."""
    wanted = [part.strip() for part in only.split(",") if part.strip()]
    # This process serves the pages as a gunicorn worker does (config.wsgi).
    freeze_after_first_request()
    subjects = subjects_find()
    clients = {}
    for role, user in subjects.users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    results = []
    for page in pages_for(subjects):
        if wanted and not any(part in page.name for part in wanted):
            continue
        client = api_client(subjects) if page.role == API else clients[page.role]
        result = page_measure(client, page, runs)
        log(
            f"  {result.name}: {result.median_ms:,.0f} ms "
            f"({result.queries} queries, floor {result.floor_ms:,.0f} ms)"
        )
        results.append(result)
    return results


# Procurement and the API (kept apart from the invoice pages above).
API = "api"  # a role: the supplier's system, with an API key of its own


def _procurement_middles(s: Subjects) -> dict:
    """?after= of a page in the middle of the procurement lists."""
    from procurement.models import Order, OrderStatus
    from procurement.views.city_orders import CITY_ORDER_LIST_ORDER
    from procurement.views.supplier_orders import SUPPLIER_ORDER_LIST_ORDER

    with scopes_disabled():
        orders = Order.objects.filter(municipality__slug=s.slug)
        supplier = Order.objects.filter(supplier=s.supplier).exclude(
            status=OrderStatus.DRAFT
        )
        return {
            "department": _middle(
                orders.filter(department=s.department), [CITY_ORDER_LIST_ORDER]
            ),
            "city": _middle(orders, [CITY_ORDER_LIST_ORDER]),
            "supplier": _middle(
                supplier.select_related("municipality"), [SUPPLIER_ORDER_LIST_ORDER]
            ),
        }


def procurement_pages(s: Subjects) -> list[Page]:
    from municipality.models import BudgetCode
    from procurement.models import OrderStatus

    city = f"/m/{s.slug}/procurement"
    middle = _procurement_middles(s)
    with scopes_disabled():
        codes = BudgetCode.objects.filter(municipality__slug=s.slug)
        code_pages = max(1, math.ceil(codes.count() / 100))  # 100 a page
        latest_year = (
            codes.order_by("-fiscal_year").values_list("fiscal_year", flat=True).first()
        )
    pages = [
        Page("procurement: orders (department)", "department", f"{city}/orders/"),
        Page(
            "procurement: orders, a page in the middle (department)",
            "department",
            f"{city}/orders/?{middle['department']}",
        ),
        Page(
            "procurement: orders awaiting 請書 (department)",
            "department",
            f"{city}/orders/?status={OrderStatus.ORDERED}",
        ),
        Page("procurement: orders (treasury)", "treasury", f"{city}/orders/"),
        Page(
            "procurement: orders, a page in the middle (treasury)",
            "treasury",
            f"{city}/orders/?{middle['city']}",
        ),
        *[
            Page(
                f"procurement: orders, status {status} (treasury)",
                "treasury",
                f"{city}/orders/?status={status}",
            )
            for status in OrderStatus.values
        ],
        Page(
            "procurement: orders, a page in the middle, confirmed (city admin)",
            "city_admin",
            f"{city}/orders/?status={OrderStatus.CONFIRMED}&{middle['city']}",
        ),
        Page(
            "procurement: inspections (department)",
            "department",
            f"{city}/inspections/",
        ),
        Page("procurement: inspections (treasury)", "treasury", f"{city}/inspections/"),
        Page("procurement: budget codes", "department", f"{city}/budget-codes/"),
        Page(
            f"procurement: budget codes, page {code_pages // 2 or 1}",
            "city_admin",
            f"{city}/budget-codes/?page={code_pages // 2 or 1}",
        ),
        Page(
            "procurement: budget codes, one fiscal year",
            "city_admin",
            f"{city}/budget-codes/?fiscal_year={latest_year}",
        ),
        Page("supplier: orders", "supplier", "/supplier/orders/"),
        Page(
            "supplier: orders, a page in the middle",
            "supplier",
            f"/supplier/orders/?{middle['supplier']}",
        ),
    ]
    return pages


def api_pages(s: Subjects) -> list[Page]:
    """The API's lists, as the supplier's system reads them."""
    with scopes_disabled():
        ids = Invoice.objects.filter(supplier=s.supplier).order_by("pk")
        deep = ids.values_list("pk", flat=True)[s.supplier_invoices // 2]
        notices = PaymentNotice.objects.filter(supplier=s.supplier).order_by("pk")
        count = notices.count()
        notice = notices.values_list("pk", flat=True)[count // 2] if count else 0
    api = "/api/v1"
    return [
        Page("API: invoices", API, f"{api}/invoices"),
        Page("API: invoices, paid", API, f"{api}/invoices?status=paid"),
        Page("API: invoices, returned", API, f"{api}/invoices?status=returned"),
        Page(
            "API: invoices, one municipality",
            API,
            f"{api}/invoices?municipality={s.slug}",
        ),
        Page("API: invoices, a deep page", API, f"{api}/invoices?before={deep}"),
        Page(
            "API: invoices, opened, a deep page",
            API,
            f"{api}/invoices?status=opened&before={deep}",
        ),
        Page("API: payment notices", API, f"{api}/payment-notices"),
        Page(
            "API: payment notices, a deep page",
            API,
            f"{api}/payment-notices?before={notice}",
        ),
    ]


def api_client(s: Subjects) -> Client:
    """A client sending a new read key of the supplier, made through the
    service (one per page: a key's calls a minute are limited)."""
    from datetime import UTC, datetime

    from api.models import ApiScope
    from api.services.keys import api_key_create

    owner = s.users["supplier"]
    _, text = api_key_create(
        supplier=s.supplier,
        actor=owner,
        name="benchmark",
        scope=ApiScope.READ,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return Client(headers={"Authorization": f"Bearer {text}"})
