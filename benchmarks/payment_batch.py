"""Payment batch throughput: ``python benchmarks/payment_batch.py [INVOICES]``.

Seeds INVOICES approved invoices (default 10,000) of 500 suppliers, each
with a registered bank account, and on the configured database
(DATABASE_URL, else SQLite) measures, with their SQL statement counts:

- adding them all to a draft batch (``batch_add_invoices``),
- the draft batch's page (six requests, the first to warm up, after an
  ANALYZE on PostgreSQL),
- approving it (``batch_approve``, by a second treasury user),
- exporting it (``batch_export``: Zengin file, one payment notice per
  transfer, every invoice scheduled),
- as the floor to compare with, the same rows and audit events written
  with ``bulk_create`` / ``update`` and nothing else (the events chained in
  Python under one head lock, as ``events_write`` does): the batch items
  and one event per invoice for adding; the notices, their invoice links,
  the invoices' status and one event per invoice for exporting.

Everything happens in a throwaway database made by Django's test-database
machinery next to the configured one (``<name>_batch_bench`` on PostgreSQL,
a temporary file for SQLite) and dropped at the end: the project's
database, its audit chain included, is never touched.
"""

import os
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from benchmarks.throwaway import throwaway_database
from config.celery_app import app
from invoices.audit import events_write
from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.snapshot import bank_account_snapshot, content_hash
from municipality.audit import chain_actor_label
from municipality.models import (
    PaymentBatchItem,
    PaymentNotice,
    StaffRole,
)
from municipality.treasury.services.batch_moves import batch_approve, batch_export
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    StaffMembershipFactory,
    SupplierMembershipFactory,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_bank_account,
    make_settings,
)

SUPPLIERS = 500


@contextmanager
def counted():
    """Counts the SQL statements run inside the block."""
    count = [0]

    def count_query(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_query):
        yield count


def seed(invoices: int):
    """A city with treasury settings, two treasury users, and ``invoices``
    approved invoices spread over ``SUPPLIERS`` suppliers (bulk written:
    the benchmark measures the batch, not the issue)."""
    municipality = MunicipalityFactory()
    department = DepartmentFactory(municipality=municipality)
    make_settings(municipality, four_eyes=True)
    preparer, approver = (
        StaffMembershipFactory(municipality=municipality, role=StaffRole.TREASURY).user
        for _ in range(2)
    )
    suppliers = []
    for n in range(SUPPLIERS):
        membership = SupplierMembershipFactory()
        account = make_bank_account(
            membership.supplier, account_number=f"{n + 1000000:07d}"
        )
        suppliers.append(
            (
                membership,
                ConnectionFactory(supplier=membership.supplier, department=department),
                bank_account_snapshot(account),
            )
        )
    now = timezone.now()
    rows = []
    for n in range(invoices):
        membership, link, account = suppliers[n % SUPPLIERS]
        snapshot = {"number": f"B-{n:06d}", "bank_account": account}
        rows.append(
            Invoice(
                municipality=municipality,
                department=department,
                supplier=membership.supplier,
                connection=link,
                created_by=membership.user,
                status=InvoiceStatus.APPROVED,
                number=f"B-{n:06d}",
                receipt_number=f"R{n:08d}",
                issue_date=now.date(),
                transaction_date=now.date(),
                subtotal=Decimal(10000 + n),
                tax_total=Decimal(1000),
                total=Decimal(11000 + n),
                snapshot=snapshot,
                content_hash=content_hash(snapshot),
                received_at=now,
                approved_at=now,
            )
        )
    Invoice.objects.bulk_create(rows, batch_size=2000)
    ids = list(
        Invoice.objects.filter(municipality=municipality)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return municipality, preparer, approver, ids


def floor(municipality, actor, ids, payday) -> tuple[float, int, float, int]:
    """Seconds and statements to write the same rows and events in bulk."""
    batch = batch_create(municipality=municipality, payment_date=payday, actor=actor)
    invoices = list(
        Invoice.objects.filter(pk__in=ids)
        .only("pk", "municipality_id", "supplier_id", "content_hash", "total")
        .order_by("pk")
    )
    label = chain_actor_label(actor)

    def events(kind, reason, **fields):
        now = timezone.now()
        return [
            InvoiceEvent(
                invoice=invoice,
                municipality_id=invoice.municipality_id,
                kind=kind,
                actor=actor,
                actor_label=label,
                reason=reason,
                data={"batch": batch.number},
                content_hash=invoice.content_hash,
                created_at=now,
                **fields,
            )
            for invoice in invoices
        ]

    with counted() as add_queries, transaction.atomic():
        started = time.perf_counter()
        PaymentBatchItem.objects.bulk_create(
            [
                PaymentBatchItem(
                    batch=batch, municipality_id=municipality.pk, invoice=invoice
                )
                for invoice in invoices
            ],
            batch_size=2000,
        )
        events_write(events(EventKind.BATCH, "added"))
        add_seconds = time.perf_counter() - started
    # The export's rows: a notice per supplier, the links, the statuses.
    with counted() as export_queries, transaction.atomic():
        started = time.perf_counter()
        by_supplier = {}
        for invoice in invoices:
            by_supplier.setdefault(invoice.supplier_id, []).append(invoice)
        notices = PaymentNotice.objects.bulk_create(
            [
                PaymentNotice(
                    batch=batch,
                    municipality_id=municipality.pk,
                    supplier_id=supplier_id,
                    number=f"{batch.number}-{n:03d}",
                    amount=sum(i.total for i in members),
                    withholding_tax=0,
                    fee=0,
                    transfer_amount=sum(i.total for i in members),
                )
                for n, (supplier_id, members) in enumerate(by_supplier.items(), 1)
            ],
            batch_size=2000,
        )
        links = PaymentNotice.invoices.through
        links.objects.bulk_create(
            [
                links(paymentnotice_id=notice.pk, invoice_id=invoice.pk)
                for notice, members in zip(notices, by_supplier.values(), strict=True)
                for invoice in members
            ],
            batch_size=2000,
        )
        Invoice.objects.filter(pk__in=ids).update(status=InvoiceStatus.SCHEDULED)
        events_write(
            events(
                EventKind.SCHEDULED,
                "exported",
                from_status=InvoiceStatus.APPROVED,
                to_status=InvoiceStatus.SCHEDULED,
            )
        )
        export_seconds = time.perf_counter() - started
    return add_seconds, add_queries[0], export_seconds, export_queries[0]


def page_time(batch, user) -> None:
    """The batch's page as its preparer sees it while it is a draft: every
    invoice planned into transfers (median of 5 after one to warm up), as
    production serves it (debug off; static files unhashed, as in
    ``benchmarks.settings``)."""
    if connection.vendor == "postgresql":
        # The statistics autovacuum would have within a minute of the add:
        # without them the planner takes the batch's 10,000 items for none.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = reverse(
        "city:batch",
        kwargs={"municipality_slug": batch.municipality.slug, "pk": batch.pk},
    )
    storages = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    with override_settings(DEBUG=False, STORAGES=storages):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
    print(f"  (median of 5: {sorted(times)[2] * 1000:,.0f} ms a page)")


def run(invoices: int) -> None:
    with scopes_disabled():
        municipality, preparer, approver, ids = seed(invoices * 2)
        ours, theirs = ids[:invoices], ids[invoices:]
        payday = business_day_after(timezone.localdate() + timedelta(days=7))
        if connection.vendor == "sqlite":
            version = f"SQLite {connection.Database.sqlite_version}"
        else:
            version = f"PostgreSQL {connection.pg_version // 10000}"
        print(f"database: {version}, {connection.settings_dict['NAME']}")
        print(f"batch of {invoices:,} invoices, {SUPPLIERS} suppliers")
        print(f"{'step':<24} {'seconds':>8} {'queries':>8}")
        batch = batch_create(
            municipality=municipality, payment_date=payday, actor=preparer
        )
        figures = {}
        for step, call in (
            (
                "add (service)",
                lambda: batch_add_invoices(
                    batch=batch, invoice_ids=ours, actor=preparer
                ),
            ),
            ("draft batch's page", lambda: page_time(batch, preparer)),
            ("approve (service)", lambda: batch_approve(batch=batch, actor=approver)),
            ("export (service)", lambda: batch_export(batch=batch, actor=approver)),
        ):
            with counted() as queries:
                started = time.perf_counter()
                call()
                figures[step] = (time.perf_counter() - started, queries[0])
                print(
                    f"{step:<24} {figures[step][0]:>8.2f} {figures[step][1]:>8,}",
                    flush=True,
                )
        add_s, add_q, export_s, export_q = floor(municipality, preparer, theirs, payday)
        print(f"{'add (bulk floor)':<24} {add_s:>8.2f} {add_q:>8,}")
        print(f"{'export (bulk floor)':<24} {export_s:>8.2f} {export_q:>8,}")
        service = figures["add (service)"][0] + figures["export (service)"][0]
        print(
            f"add + export: service {service:.2f} s, floor {add_s + export_s:.2f} s,"
            f" ratio {service / (add_s + export_s):.2f}"
        )


def main(invoices: int) -> None:
    # Throwaway users: a fast hash, so seeding is not spent in PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks go to a broker nobody reads.
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://localhost/"
    with throwaway_database("batch_bench"):
        run(invoices)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
