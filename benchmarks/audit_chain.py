"""Audit chain verification speed: ``python benchmarks/audit_chain.py [EVENTS]``.

Seeds EVENTS invoice events (default 300,000) over three municipalities, nine
per issued invoice as at city scale (8.9 million events for a million
invoices), each invoice with three lines and its frozen snapshot, the
events chained in Python with ``chain_extend`` and written with
``bulk_create``; then runs the verification of every chain
(``invoices.audit_verify.chains_verify``, what ``manage.py
verify_audit_chain`` runs) and prints events per second, invoices per
second for the content check, and the process's peak memory before and
after verifying (flat: rows are streamed).

Everything happens in a throwaway database made by Django's test-database
machinery next to the configured one (``<name>_audit_bench`` on
PostgreSQL, a temporary file for SQLite) and dropped at the end.
"""

import hashlib
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from benchmarks.throwaway import throwaway_database
from invoices.audit import events_write
from invoices.audit_verify import chains_verify
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTaxSummary,
)
from invoices.snapshot import (
    content_hash,
    header_snapshot,
    lines_snapshot,
    totals_snapshot,
)
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    SupplierMembershipFactory,
    corporate_number,
)

CITIES = 3
EVENTS_PER_INVOICE = 9
KINDS = [EventKind.ISSUED, EventKind.OPENED, EventKind.VIEWED, EventKind.APPROVED]
BATCH = 5000


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_city(index: int, invoices: int) -> None:
    """``invoices`` issued invoices of one city and their events."""
    municipality = MunicipalityFactory(
        slug=f"city{index}",
        local_government_code=f"46{index:04d}",
        corporate_number=corporate_number(900 + index),
    )
    department = DepartmentFactory(municipality=municipality)
    membership = SupplierMembershipFactory()
    link = ConnectionFactory(supplier=membership.supplier, department=department)
    now = timezone.now()
    for start in range(0, invoices, BATCH):
        rows, lines, summaries = [], [], []
        for n in range(start, min(start + BATCH, invoices)):
            invoice = Invoice(
                municipality=municipality,
                department=department,
                supplier=membership.supplier,
                connection=link,
                created_by=membership.user,
                status=InvoiceStatus.APPROVED,
                number=f"A-{n:07d}",
                receipt_number=f"R{n:08d}",
                issue_date=now.date(),
                transaction_date=now.date(),
                subject=f"事務用品 {n}",
                subtotal=Decimal(3000),
                tax_total=Decimal(300),
                total=Decimal(3300),
                received_at=now,
            )
            own_lines = [
                InvoiceLine(
                    invoice=invoice,
                    position=k,
                    description=f"コピー用紙 {k}",
                    quantity=Decimal("1.000"),
                    unit="箱",
                    unit_price=Decimal("1000.000"),
                    tax_category="S",
                    amount=Decimal(1000),
                )
                for k in (1, 2, 3)
            ]
            summary = InvoiceTaxSummary(
                invoice=invoice,
                tax_category="S",
                rate=Decimal("0.100"),
                taxable_amount=Decimal(3000),
                tax_amount=Decimal(300),
            )
            invoice.snapshot = {
                **header_snapshot(invoice),
                "lines": lines_snapshot(invoice, own_lines),
                **totals_snapshot(invoice, own_lines, [summary]),
            }
            invoice.content_hash = content_hash(invoice.snapshot)
            rows.append(invoice)
            lines.extend(own_lines)
            summaries.append(summary)
        with transaction.atomic():
            Invoice.objects.bulk_create(rows)
            for line in lines:
                line.invoice_id = line.invoice.pk
            for summary in summaries:
                summary.invoice_id = summary.invoice.pk
            InvoiceLine.objects.bulk_create(lines)
            InvoiceTaxSummary.objects.bulk_create(summaries)
            events = [
                InvoiceEvent(
                    invoice=invoice,
                    municipality_id=municipality.pk,
                    kind=KINDS[min(k, len(KINDS) - 1)],
                    actor=membership.user,
                    actor_label=membership.user.email,
                    data={"n": k},
                    content_hash=invoice.content_hash,
                    created_at=now,
                )
                for invoice in rows
                for k in range(EVENTS_PER_INVOICE)
            ]
            events_write(events)  # chained, then one COPY


_FLOOR_SQL = (
    "SELECT id, hash, prev_hash, invoice_id, municipality_id, kind, actor_id,"
    " actor_label, from_status, to_status, reason, data::text, content_hash,"
    " created_at FROM invoices_invoiceevent ORDER BY municipality_id, id"
)


def floor() -> tuple[int, float]:
    """Events read bare and hashed: (events, seconds)."""
    started = time.perf_counter()
    count = 0
    with transaction.atomic(), connection.connection.cursor(name="floor") as cursor:
        cursor.itersize = 10_000
        cursor.execute(_FLOOR_SQL)
        for row in cursor:
            hashlib.sha256(repr(row).encode()).hexdigest()
            count += 1
    return count, time.perf_counter() - started


def run(events: int) -> None:
    invoices = events // EVENTS_PER_INVOICE // CITIES
    if connection.vendor == "sqlite":
        version = f"SQLite {connection.Database.sqlite_version}"
    else:
        version = f"PostgreSQL {connection.pg_version // 10000}"
    print(f"database: {version}, {connection.settings_dict['NAME']}")
    started = time.perf_counter()
    with scopes_disabled():
        for index in range(CITIES):
            seed_city(index, invoices)
    total = invoices * CITIES
    print(
        f"seeded {total * EVENTS_PER_INVOICE:,} events, {total:,} invoices"
        f" in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    before = _peak_mib()
    walked = checked = 0
    started = time.perf_counter()
    for result in chains_verify():
        if result.problem is not None:
            raise SystemExit(f"{result.chain.label}: {result.problem.message}")
        walked += result.events
        checked += result.invoices
    seconds = time.perf_counter() - started
    # The events' pass alone, for its rate: a second run without contents.
    from invoices import audit_verify

    started = time.perf_counter()
    for chain in audit_verify.chains_of():
        audit_verify._walk(chain, audit_verify.ChainResult(chain))
    walk_seconds = time.perf_counter() - started
    print(f"verify_audit_chain: {seconds:.1f} s for {walked:,} events and {checked:,}")
    print(f"  events (hashes and links): {walked / walk_seconds:,.0f} events/s")
    print(
        f"  invoices (contents): {checked / max(seconds - walk_seconds, 1e-9):,.0f}"
        " invoices/s"
    )
    print(f"  overall: {walked / seconds:,.0f} events/s")
    read, floor_seconds = floor()
    print(
        f"  floor (read bare + SHA-256): {read / floor_seconds:,.0f} events/s;"
        f" events pass {walk_seconds / floor_seconds:.2f}× its time,"
        f" overall {seconds / floor_seconds:.2f}×"
    )
    print(f"peak memory: {before:,.0f} MiB before verifying, {_peak_mib():,.0f} after")


def main(events: int) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with throwaway_database("audit_bench"):
        run(events)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300_000)
