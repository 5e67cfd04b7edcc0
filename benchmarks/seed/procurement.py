"""Procurement at city scale: budget codes, orders (支出負担行為) with
their lines and history, deliveries (納品) and their inspection (検収),
and the link from an invoice to the order it bills (``InvoiceOrder``).

It reads what it builds on from the database (departments, staff,
suppliers, connections and the seeded invoices), so that it seeds a
database whose invoices were seeded before procurement was (``make bench``
on a reused database) as well as a fresh one.

About one invoice in five bills an order: that order was placed some weeks
before the invoice, confirmed (請書), delivered and inspected, and is
completed once the invoice is approved. A few orders were cancelled, and
the last weeks hold the orders still under way: drafts, awaiting the
supplier's 請書 or answering its question, confirmed and awaiting delivery
or inspection (some past the statutory deadline). The invoices keep their
``order_number`` (it is frozen in their snapshot and content hash); the
link is the ``InvoiceOrder`` row the issuing service writes.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as clock, timedelta
from decimal import Decimal

from django.db import transaction
from django_scopes import scopes_disabled

from benchmarks.seed.invoices import ITEMS, JST, _fiscal_year, _jst_date
from benchmarks.seed.tables import Table
from invoices.models import Invoice, InvoiceStatus
from invoices.tax import invoice_totals, line_amount
from municipality.models import BudgetCode, Department, StaffMembership, StaffRole
from partners.models import Connection, PriceBasis, SupplierMembership, SupplierRole
from procurement.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    InvoiceOrder,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderLine,
    OrderStatus,
)

# One invoice in this many bills an order.
INVOICES_PER_ORDER = 5
# The orders of this many last days are still under way (not invoiced).
PIPELINE_DAYS = 25
CHUNK = 10_000
# (節, its name): what a department's budget codes are spent on.
SETSU = [("10", "需用費"), ("13", "委託料"), ("14", "工事請負費")]
WORKS = {"修繕工事"}
COMMISSIONS = {"保守点検業務委託料", "庁舎清掃業務委託", "測量設計業務委託"}
APPROVED = {InvoiceStatus.APPROVED, InvoiceStatus.SCHEDULED, InvoiceStatus.PAID}
REJECTION = "数量が納品書と一致しません。再度納品してください。"
QUESTION = "納品場所と納期について確認させてください。"


@dataclass
class ProcurementReport:
    budget_codes: int
    orders: int
    lines: int
    deliveries: int
    links: int
    seconds: float


def _moment(day: date, hour: float) -> datetime:
    """``hour`` o'clock (JST) on ``day``, in UTC."""
    return datetime.combine(day, clock(), UTC) - JST + timedelta(hours=hour)


def _setsu(description: str) -> int:
    if description in WORKS:
        return 2
    return 1 if description in COMMISSIONS else 0


class ProcurementSeeder:
    def __init__(self, *, rng: random.Random, now: datetime, log: Callable):
        self.rng, self.now, self.log = rng, now, log
        self.today = _jst_date(now)
        self.tables = {
            model: Table(model)
            for model in (
                Order,
                OrderLine,
                OrderEvent,
                Delivery,
                DeliveryLine,
                InvoiceOrder,
            )
        }
        self.connections = {
            c.pk: c for c in Connection.objects.select_related("supplier")
        }
        self.departments = {d.pk: d for d in Department.objects.all()}
        self.staff: dict[int, int] = {}  # department → a staff member
        memberships = StaffMembership.objects.filter(
            role=StaffRole.DEPARTMENT
        ).prefetch_related("departments")
        for membership in memberships:
            for department in membership.departments.all():
                self.staff.setdefault(department.pk, membership.user_id)
        self.owners = dict(
            SupplierMembership.objects.filter(role=SupplierRole.OWNER).values_list(
                "supplier_id", "user_id"
            )
        )
        self.numbers: dict[tuple[int, int, str], int] = {}
        self.budget_codes: dict[tuple[int, int, int], int] = {}
        self.recent: list[int] = []  # connections of recent orders

    # Budget codes: three per department and fiscal year (需用費, 委託料,
    # 工事請負費 under the department's own 款・項・目).
    def budget_codes_create(self, years: range) -> int:
        rows, keys = [], []
        for municipality_id in {d.municipality_id for d in self.departments.values()}:
            own = sorted(
                (
                    d
                    for d in self.departments.values()
                    if d.municipality_id == municipality_id
                ),
                key=lambda d: d.code,
            )
            for year in years:
                for i, department in enumerate(own):
                    for k, (setsu, setsu_name) in enumerate(SETSU):
                        keys.append((department.pk, year, k))
                        rows.append(
                            BudgetCode(
                                municipality_id=municipality_id,
                                fiscal_year=year,
                                account="一般会計",
                                kan=f"{i // 10 + 1:02d}",
                                kan_name=f"{department.name}費",
                                kou=f"{i % 10 + 1:02d}",
                                kou_name=f"{department.name}管理費",
                                moku="01",
                                moku_name=f"{department.name}事業費",
                                setsu=setsu,
                                setsu_name=setsu_name,
                                # Past years' codes are closed.
                                is_active=year >= _fiscal_year(self.today) - 1,
                            )
                        )
        made = BudgetCode.objects.bulk_create(rows, batch_size=2000)
        self.budget_codes = {key: code.pk for key, code in zip(keys, made, strict=True)}
        return len(made)

    def number(self, department: Department, fiscal_year: int) -> str:
        key = (department.municipality_id, fiscal_year, department.code)
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{fiscal_year}-{department.code}-{self.numbers[key]:05d}"

    def event(self, order: dict, kind: str, at: datetime, actor_id, **rest) -> None:
        events = self.tables[OrderEvent]
        events.add(
            {
                "id": events.id(),
                "municipality_id": order["municipality_id"],
                "order_id": order["id"],
                "kind": kind,
                "from_status": rest.get("from_status", ""),
                "to_status": rest.get("to_status", ""),
                "message": rest.get("message", ""),
                "actor_id": actor_id,
                "created_at": at,
            }
        )

    def order(
        self, connection_id: int, order_date: date, status: str, completed=None
    ) -> dict:
        """An order of ``status`` placed on ``order_date``, with its lines
        and the events up to that status (a cancelled one was sent first;
        a completed one on ``completed``)."""
        rng = self.rng
        connection = self.connections[connection_id]
        department = self.departments[connection.department_id]
        supplier = connection.supplier
        staff = self.staff[department.pk]
        unit_price = rng.random() < 0.1
        lines = []
        order_id = self.tables[Order].id()
        for position in range(1, rng.choice((1, 1, 2, 2, 3)) + 1):
            description, unit, category, low, high = rng.choice(ITEMS)
            quantity = Decimal(rng.randint(1, 40)).quantize(Decimal("0.001"))
            price = Decimal(rng.randint(low, high)).quantize(Decimal("0.001"))
            lines.append(
                {
                    "id": self.tables[OrderLine].id(),
                    "order_id": order_id,
                    "position": position,
                    "description": description,
                    "quantity": quantity,
                    "unit": unit,
                    "unit_price": price,
                    "tax_category": category,
                    "amount": line_amount(
                        quantity=quantity,
                        unit_price=price,
                        rounding=supplier.tax_rounding,
                    ),
                }
            )
        totals = invoice_totals(
            lines=[(line["tax_category"], line["amount"]) for line in lines],
            price_basis=PriceBasis.EXCLUSIVE,
            rounding=supplier.tax_rounding,
        )
        fiscal_year = _fiscal_year(order_date)
        first = lines[0]["description"]
        setsu = max(_setsu(line["description"]) for line in lines)
        created = _moment(order_date, rng.uniform(8.5, 17))
        ordered = None if status == OrderStatus.DRAFT else created + timedelta(hours=1)
        confirmed = (
            _moment(order_date + timedelta(days=rng.randint(1, 3)), rng.uniform(9, 17))
            if status in (OrderStatus.CONFIRMED, OrderStatus.COMPLETED)
            else None
        )
        ceiling = (totals.total * 3 // 1000 + 1) * 1000 if unit_price else None
        imported = ordered is not None and rng.random() < 0.3
        order = {
            "id": order_id,
            "municipality_id": department.municipality_id,
            "department_id": department.pk,
            "supplier_id": supplier.pk,
            "connection_id": connection.pk,
            "kind": OrderKind.UNIT_PRICE if unit_price else OrderKind.ONE_OFF,
            "status": status,
            "number": self.number(department, fiscal_year),
            "order_date": order_date,
            "fiscal_year": fiscal_year,
            "budget_code_id": self.budget_codes[(department.pk, fiscal_year, setsu)],
            "subject": f"{first}（{department.name}）",
            "delivery_place": department.name,
            "delivery_date": None if unit_price else order_date + timedelta(days=30),
            "period_start": order_date if unit_price else None,
            "period_end": order_date + timedelta(days=180) if unit_price else None,
            "ceiling_amount": ceiling,
            "is_works": first in WORKS,
            "notes": "",
            "subtotal": totals.subtotal,
            "tax_total": totals.tax_total,
            "amount": ceiling if unit_price else totals.total,
            "ordered_at": ordered,
            "confirmed_at": confirmed,
            "confirmed_by_id": self.owners[supplier.pk] if confirmed else None,
            "imported": imported,
            "created_by_id": staff,
            "created_at": created,
            "updated_at": completed or confirmed or ordered or created,
            "lines": lines,
        }
        self.tables[Order].add(order)
        for line in lines:
            self.tables[OrderLine].add(line)
        S, K = OrderStatus, OrderEventKind  # noqa: N806
        if imported:
            self.event(order, K.IMPORTED, created, staff, to_status=S.ORDERED)
        else:
            self.event(order, K.CREATED, created, staff, to_status=S.DRAFT)
            if ordered:
                self.event(
                    order,
                    K.ORDERED,
                    ordered,
                    staff,
                    from_status=S.DRAFT,
                    to_status=S.ORDERED,
                )
        if status == S.QUESTION:
            self.event(
                order,
                K.QUESTION,
                ordered + timedelta(hours=20),
                self.owners[supplier.pk],
                from_status=S.ORDERED,
                to_status=S.QUESTION,
                message=QUESTION,
            )
        if confirmed:
            self.event(
                order,
                K.CONFIRMED,
                confirmed,
                self.owners[supplier.pk],
                from_status=S.ORDERED,
                to_status=S.CONFIRMED,
            )
        if completed:
            self.event(
                order,
                K.COMPLETED,
                completed,
                staff,
                from_status=S.CONFIRMED,
                to_status=S.COMPLETED,
            )
        if status == S.CANCELLED:
            self.event(
                order,
                K.CANCELLED,
                ordered + timedelta(days=2),
                staff,
                from_status=S.ORDERED,
                to_status=S.CANCELLED,
                message="予算の執行を見送ったため取り消します。",
            )
        return order

    def delivery(
        self,
        order: dict,
        delivered_on: date,
        status: str,
        *,
        inspected_on=None,
        invoice_id=None,
    ) -> None:
        """A delivery of every line of ``order`` (a unit-price contract's
        quantities as delivered), inspected on ``inspected_on`` unless
        pending."""
        table = self.tables[Delivery]
        delivery_id = table.id()
        deadline = delivered_on + timedelta(days=14 if order["is_works"] else 10)
        staff = self.staff[order["department_id"]]
        inspected = status != DeliveryStatus.PENDING
        table.add(
            {
                "id": delivery_id,
                "municipality_id": order["municipality_id"],
                "department_id": order["department_id"],
                "order_id": order["id"],
                "supplier_id": order["supplier_id"],
                "number": f"N{order['id']:08d}-{delivery_id % 100:02d}",
                "delivered_on": delivered_on,
                "status": status,
                "inspection_deadline": deadline,
                "notes": "",
                "inspected_on": inspected_on if inspected else None,
                "inspected_by_id": staff if inspected else None,
                "corrected": False,
                "rejection_reason": REJECTION
                if status == DeliveryStatus.REJECTED
                else "",
                "late_days": max(0, (inspected_on - deadline).days) if inspected else 0,
                "invoice_id": invoice_id,
                "created_by_id": self.owners[order["supplier_id"]],
                "created_at": _moment(delivered_on, self.rng.uniform(9, 17)),
            }
        )
        for line in order["lines"]:
            quantity = line["quantity"]
            self.tables[DeliveryLine].add(
                {
                    "id": self.tables[DeliveryLine].id(),
                    "delivery_id": delivery_id,
                    "order_line_id": line["id"],
                    "quantity": quantity,
                    "accepted_quantity": (
                        quantity
                        if status == DeliveryStatus.ACCEPTED
                        else (Decimal(0) if inspected else None)
                    ),
                }
            )

    def inspected(self, delivered_on: date, latest: date) -> date:
        """When a delivery was inspected: within days mostly, past the
        deadline now and then, never after ``latest``."""
        rng = self.rng
        days = rng.randint(12, 25) if rng.random() < 0.05 else rng.randint(0, 8)
        return max(delivered_on, min(delivered_on + timedelta(days=days), latest))

    def billed(self, invoice: tuple) -> None:
        """The order ``invoice`` bills, delivered and inspected before it
        was issued; completed once the invoice is approved."""
        invoice_id, municipality_id, connection_id, status, issue_date, received = (
            invoice
        )
        rng = self.rng
        order_date = issue_date - timedelta(days=rng.randint(10, 45))
        if rng.random() < 0.03:  # an order placed about then, and cancelled
            self.order(connection_id, order_date, OrderStatus.CANCELLED)
        done = status in APPROVED and rng.random() < 0.85
        completed = min(received + timedelta(days=rng.uniform(2, 10)), self.now)
        order = self.order(
            connection_id,
            order_date,
            OrderStatus.COMPLETED if done else OrderStatus.CONFIRMED,
            completed=completed if done else None,
        )
        delivered_on = order_date + timedelta(days=rng.randint(3, 8))
        if rng.random() < 0.02:  # rejected, then delivered again
            self.delivery(
                order,
                delivered_on,
                DeliveryStatus.REJECTED,
                inspected_on=delivered_on + timedelta(days=1),
            )
            delivered_on += timedelta(days=2)
        self.delivery(
            order,
            delivered_on,
            DeliveryStatus.ACCEPTED,
            inspected_on=self.inspected(delivered_on, issue_date),
            invoice_id=invoice_id,
        )
        links = self.tables[InvoiceOrder]
        links.add(
            {
                "id": links.id(),
                "municipality_id": municipality_id,
                "invoice_id": invoice_id,
                "order_id": order["id"],
                "created_at": received,
            }
        )
        self.recent.append(connection_id)
        if len(self.recent) > 4000:
            del self.recent[:2000]

    def pipeline(self, per_day: float) -> None:
        """The orders of the last weeks, not invoiced yet, in the states
        their age makes likely."""
        rng, S, D = self.rng, OrderStatus, DeliveryStatus  # noqa: N806
        for age in range(PIPELINE_DAYS, -1, -1):
            day = self.today - timedelta(days=age)
            for _ in range(round(per_day * rng.uniform(0.7, 1.3))):
                connection_id = rng.choice(self.recent)
                draw = rng.random()
                if age < 3:
                    status = (
                        S.DRAFT
                        if draw < 0.3
                        else S.ORDERED
                        if draw < 0.9
                        else S.QUESTION
                    )
                    self.order(connection_id, day, status)
                    continue
                if age < 10 and draw < 0.2:
                    self.order(
                        connection_id, day, S.ORDERED if draw < 0.15 else S.QUESTION
                    )
                    continue
                order = self.order(connection_id, day, S.CONFIRMED)
                if age < 10 and draw < 0.6:
                    continue  # awaiting delivery
                delivered_on = day + timedelta(days=rng.randint(2, min(age, 12)))
                if age < 15 or draw < 0.5:
                    self.delivery(order, delivered_on, D.PENDING)
                else:
                    self.delivery(
                        order,
                        delivered_on,
                        D.ACCEPTED,
                        inspected_on=self.inspected(delivered_on, self.today),
                    )

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()

    def run(self) -> None:
        invoices = (
            Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
            .order_by("pk")
            .values_list(
                "pk",
                "municipality_id",
                "connection_id",
                "status",
                "issue_date",
                "received_at",
            )
        )
        first = invoices.first()
        if first is None:
            return
        years = range(
            _fiscal_year(first[4] - timedelta(days=60)), _fiscal_year(self.today) + 1
        )
        self.budget_codes_create(years)
        started = time.perf_counter()
        seen = 0
        for seen, invoice in enumerate(invoices.iterator(chunk_size=CHUNK), start=1):
            if self.rng.random() * INVOICES_PER_ORDER < 1:
                self.billed(invoice)
            if seen % (CHUNK * 5) == 0:
                self.flush()
                if seen % (CHUNK * 20) == 0:
                    rate = seen / (time.perf_counter() - started)
                    self.log(f"  procurement: {seen:,} invoices read ({rate:,.0f}/s)")
        days = max(1, (self.today - first[4]).days)
        if self.recent:
            self.pipeline(seen / days / INVOICES_PER_ORDER)
        self.flush()
        for table in self.tables.values():
            table.sequence_reset()


def seed_procurement(*, seed: int = 15, log: Callable = print) -> ProcurementReport:
    """Write procurement for the invoices in the current database (which
    must hold no procurement yet)."""
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (data, not secrets)
    now = datetime.now(UTC) - timedelta(minutes=1)
    with scopes_disabled(), transaction.atomic():
        seeder = ProcurementSeeder(rng=rng, now=now, log=log)
        seeder.run()
    tables = seeder.tables
    return ProcurementReport(
        budget_codes=len(seeder.budget_codes),
        orders=tables[Order].written,
        lines=tables[OrderLine].written,
        deliveries=tables[Delivery].written,
        links=tables[InvoiceOrder].written,
        seconds=time.perf_counter() - started,
    )
