"""CSV export of many invoices: ``python benchmarks/exports.py [INVOICES]``.

Makes INVOICES issued invoices (default 10,000) with ``bulk_create`` (each
a copy of one invoice issued through the services, snapshot included), then
measures the supplier's search export (``/supplier/invoices/search/export/``,
CSV UTF-8, through the Django test client: the view, its history records
and the streamed file) against the floor: the same rows read with one bare
query (``values_list``, the parties taken from the snapshot in SQL) and
written with the ``csv`` module. For each: the time to the first byte, the
total time (median of five runs, the two taken in turns) and the peak of Python memory
(``tracemalloc``, a separate run: tracing slows Python down).

Everything happens in a throwaway database made by Django's test-database
machinery next to the configured one (``<name>_exports_bench`` on
PostgreSQL, a temporary file for SQLite) and dropped at the end.
"""

import csv
import io
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.conf import settings
from django.db import connection
from django.db.models import FilteredRelation, Q
from django.db.models.fields.json import KT
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import resolve
from django_scopes import scopes_disabled

from benchmarks.throwaway import throwaway_database
from invoices.exports import pipeline, search_csv
from invoices.models import Invoice, InvoiceStatus, InvoiceTaxSummary, TaxCategory
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    SupplierMembershipFactory,
    make_invoice,
)

URL = "/supplier/invoices/search/export/"
RUNS = 5
_COPIED = (
    "municipality_id",
    "department_id",
    "supplier_id",
    "connection_id",
    "created_by_id",
    "issue_date",
    "transaction_date",
    "due_date",
    "subject",
    "price_basis",
    "subtotal",
    "tax_total",
    "total",
    "status",
    "received_at",
    "payment_deadline",
    "snapshot",
    "content_hash",
)


def seed(invoices: int):
    """A supplier with ``invoices`` issued invoices to one department, and
    the user who exports them."""
    with scopes_disabled():
        department = DepartmentFactory(municipality=MunicipalityFactory())
        membership = SupplierMembershipFactory()
        connection_ = ConnectionFactory(
            supplier=membership.supplier, department=department
        )
        sample = make_invoice(connection=connection_, actor=membership.user)
        summaries = list(sample.tax_summaries.all())
        copies = Invoice.objects.bulk_create(
            (
                Invoice(
                    **{name: getattr(sample, name) for name in _COPIED},
                    number=f"B-{n:06d}",
                    receipt_number=f"2026-{n + 2:06d}",
                )
                for n in range(invoices - 1)
            ),
            batch_size=2000,
        )
        InvoiceTaxSummary.objects.bulk_create(
            (
                InvoiceTaxSummary(
                    invoice=invoice,
                    tax_category=s.tax_category,
                    rate=s.rate,
                    taxable_amount=s.taxable_amount,
                    tax_amount=s.tax_amount,
                )
                for invoice in copies
                for s in summaries
            ),
            batch_size=4000,
        )
    return membership


def export_view(client: Client) -> tuple[float, float, int]:
    """(seconds to the first byte, seconds in all, bytes) of the export."""
    started = time.perf_counter()
    response = client.get(URL, {"format": pipeline.CSV_UTF8})
    if response.status_code != 200 or not response.streaming:
        raise SystemExit(f"the export answered {response}")
    chunks = iter(response.streaming_content)
    size = len(next(chunks))
    first = time.perf_counter() - started
    size += sum(len(chunk) for chunk in chunks)
    response.close()
    return first, time.perf_counter() - started, size


def _floor_rows(supplier):
    """The export's rows, bare: one query, values only."""
    return (
        Invoice.objects.with_scopes_disabled()
        .filter(supplier=supplier)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("-transaction_date", "-pk")
        .annotate(
            supplier_name=KT("snapshot__supplier__name"),
            registration=KT("snapshot__supplier__registration_number"),
            municipality_name=KT("snapshot__addressee__municipality"),
            department_name=KT("snapshot__addressee__department"),
            standard=FilteredRelation(
                "tax_summaries",
                condition=Q(tax_summaries__tax_category=TaxCategory.STANDARD),
            ),
            reduced=FilteredRelation(
                "tax_summaries",
                condition=Q(tax_summaries__tax_category=TaxCategory.REDUCED),
            ),
        )
        .values_list(
            "number",
            "receipt_number",
            "supplier_name",
            "registration",
            "municipality_name",
            "department_name",
            "issue_date",
            "transaction_date",
            "transaction_end_date",
            "due_date",
            "subject",
            "price_basis",
            "standard__taxable_amount",
            "standard__tax_amount",
            "reduced__taxable_amount",
            "reduced__tax_amount",
            "total",
            "status",
            "received_at",
            "opened_at",
            "payment_deadline",
        )
        .iterator(chunk_size=pipeline.EXPORT_CHUNK)
    )


def export_floor(supplier) -> tuple[float, float, int]:
    """The same measures for the bare query written with ``csv``, in
    chunks as the export writes them."""
    started = time.perf_counter()
    first = None
    size = 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(search_csv.CSV_HEADER)
    for n, row in enumerate(_floor_rows(supplier), 1):
        writer.writerow(row)
        if n % pipeline.EXPORT_CHUNK == 0:
            encoding = "utf-8-sig" if first is None else "utf-8"
            size += len(out.getvalue().encode(encoding))
            first = first or time.perf_counter() - started
            out.seek(0)
            out.truncate()
    size += len(out.getvalue().encode("utf-8"))
    total = time.perf_counter() - started
    return first or total, total, size


def peak(measure) -> int:
    tracemalloc.start()
    try:
        measure()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(invoices: int) -> None:
    if connection.vendor == "sqlite":
        version = f"SQLite {connection.Database.sqlite_version}"
    else:
        version = f"PostgreSQL {connection.pg_version // 10000}"
    print(f"database: {version}, {connection.settings_dict['NAME']}")
    started = time.perf_counter()
    membership = seed(invoices)
    with connection.cursor() as cursor:
        # As autovacuum would have: without statistics the bare query's
        # plan is ten times slower, and when autovacuum gets to it varies.
        cursor.execute("ANALYZE")
    print(f"seeded {invoices:,} invoices in {time.perf_counter() - started:.1f} s")
    client = Client(SERVER_NAME="localhost")
    client.force_login(membership.user)
    resolve(URL)  # imports every URL module, as a running server has

    measures = {
        "export view (streamed)": lambda: export_view(client),
        "floor: bare query + csv": lambda: export_floor(membership.supplier),
    }
    # Taken in turns, so that a shared machine's load weighs on both alike.
    runs = {name: [] for name in measures}
    for _ in range(RUNS):
        for name, measure in measures.items():
            runs[name].append(measure())
    results = {
        name: (
            statistics.median(r[0] for r in runs[name]),
            statistics.median(r[1] for r in runs[name]),
            runs[name][0][2],
            peak(measure),
        )
        for name, measure in measures.items()
    }
    print(
        f"{'':<26} {'first byte':>10} {'total':>8} {'MiB out':>8} "
        f"{'peak MiB':>9} {'× floor':>8}"
    )
    floor_total = results["floor: bare query + csv"][1]
    for name, (first, total, size, memory) in results.items():
        print(
            f"{name:<26} {first:>9.2f}s {total:>7.2f}s {size / 2**20:>8.1f} "
            f"{memory / 2**20:>9.1f} {total / floor_total:>8.2f}"
        )


def main(invoices: int) -> None:
    setup_test_environment()
    settings.DEBUG = False  # no list of every query in memory
    with throwaway_database("exports_bench"):
        run(invoices)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
