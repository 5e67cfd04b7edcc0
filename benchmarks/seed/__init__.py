"""A city-scale data set for the benchmarks, written in bulk.

``seed(size=…)`` writes municipalities (Kanoya with its 55 real departments,
and three neighbours with generic ones), 3,000 suppliers connected to
departments, staff for every role, and ``size`` issued invoices with about
three lines each, their tax totals, frozen snapshot and content hash, in a
realistic mix of statuses over the years they span: unopened, opened,
returned, withdrawn, approved, and scheduled or paid in payment batches
with their payment notices. Every invoice has the audit events the
services write for its history (発行, 開封, 閲覧, 承認, 支払バッチ, 支払予定,
支払), hash-chained as ``invoices.audit.events_append`` chains them.

Nothing goes through the web or the services (that would take days): rows
are generated in time order and streamed with PostgreSQL's ``COPY``
(``INSERT`` on SQLite, for the tests). What makes the data trustworthy is
that it reuses the project's own pieces — ``invoice_totals`` and
``line_amount`` for the tax, ``header_snapshot`` and
``bank_account_snapshot`` for the snapshot, ``content_hash``,
``event_hash`` and the chain head — and that ``verify_audit_chain`` and
the invoice content check pass on it (tests/benchmarks/).
"""

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django_scopes import scopes_disabled

from benchmarks.seed.history import InvoiceSeeder
from benchmarks.seed.procurement import ProcurementReport, seed_procurement
from benchmarks.seed.world import (
    FORMS,
    GENERIC_DEPARTMENTS,
    PLACES,
    SUPPLIERS,
    TRADES,
    world_create,
)
from invoices.models import CounterpartyName, Invoice, InvoiceEvent, InvoiceLine
from municipality.models import PaymentBatch, PaymentNotice


@dataclass
class SeedReport:
    invoices: int
    lines: int
    events: int
    batches: int
    notices: int
    seconds: float
    procurement: ProcurementReport | None = None


def seed(
    *,
    size: int,
    suppliers: int = SUPPLIERS,
    seed: int = 14,
    procurement: bool = True,
    log: Callable = print,
) -> SeedReport:
    """Write the data set into the current database (which must have no
    benchmark data yet), procurement included unless ``procurement`` is
    false. ``suppliers`` is capped by the names there are."""
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (data, not secrets)
    # Past events only: the newest a minute ago.
    now = datetime.now(UTC) - timedelta(minutes=1)
    with scopes_disabled(), transaction.atomic():
        world = world_create(
            suppliers=min(suppliers, len(PLACES) * len(TRADES) * len(FORMS)),
            departments_each=len(GENERIC_DEPARTMENTS),
            rng=rng,
        )
        log(
            f"  {len(world.municipalities)} municipalities, "
            f"{len(world.departments)} departments, "
            f"{len(world.suppliers):,} suppliers, "
            f"{len(world.connections):,} connections"
        )
        seeder = InvoiceSeeder(world=world, size=size, rng=rng, now=now, log=log)
        # Millions of long-lived rows and no reference cycles: the cyclic
        # garbage collector would only walk them again and again.
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            seeder.run()
        finally:
            gc.enable()
            gc.unfreeze()
        # The names invoices were issued under, as issuing records them
        # (the search by 取引先 reads them): the suppliers' own.
        CounterpartyName.objects.bulk_create(
            [
                CounterpartyName(
                    supplier=supplier,
                    name=supplier.legal_name,
                    name_kana=supplier.name_kana,
                    registration_number=supplier.registration_number,
                )
                for supplier in world.suppliers.values()
            ],
            ignore_conflicts=True,
        )
    tables = seeder.tables
    procured = seed_procurement(log=log) if procurement else None
    return SeedReport(
        invoices=tables[Invoice].written,
        lines=tables[InvoiceLine].written,
        events=tables[InvoiceEvent].written,
        batches=tables[PaymentBatch].written,
        notices=tables[PaymentNotice].written,
        seconds=time.perf_counter() - started,
        procurement=procured,
    )
