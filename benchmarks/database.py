"""The benchmark's own PostgreSQL database: created, migrated and seeded
once per size, then reused.

A marker table (``bench_seed``) records the size a finished seeding wrote;
a database without it, or of another size, is dropped and seeded again.
A second one (``bench_seed_procurement``) records the procurement seeding:
a database seeded before procurement was gets it added
(``database_seed_procurement``), its invoices kept.
The bulk load skips what a bulk load may skip on a throwaway database:
foreign-key triggers (``session_replication_role = replica``: the rows
are consistent by construction, and the tests check the seeder on a real
database), synchronous commit, and the secondary indexes, which are
dropped before and built once after (faster than maintaining them row by
row). Then ``VACUUM ANALYZE``, as autovacuum would have done on a live
database.
"""

import time

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from benchmarks.seed import SeedReport, seed
from benchmarks.seed.procurement import ProcurementReport, seed_procurement

MARKER = "bench_seed"
PROCUREMENT_MARKER = "bench_seed_procurement"
PROCUREMENT_TABLES = (
    "procurement_order",
    "procurement_orderline",
    "procurement_orderevent",
    "procurement_delivery",
    "procurement_deliveryline",
    "procurement_invoiceorder",
)
LOADED_TABLES = (
    "invoices_invoice",
    "invoices_invoiceline",
    "invoices_invoicetaxsummary",
    "invoices_invoiceevent",
    "municipality_paymentbatch",
    "municipality_paymentbatchitem",
    "municipality_paymentnotice",
    "municipality_paymentnotice_invoices",
    *PROCUREMENT_TABLES,
)


def _admin_connection() -> psycopg.Connection:
    """A connection to the server's maintenance database."""
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )


def seeded_size() -> int | None:
    """The size of the finished seeding in the benchmark database, if any."""
    name = settings.DATABASES["default"]["NAME"]
    with _admin_connection() as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    if not exists:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT size FROM {MARKER}")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


def database_recreate() -> None:
    name = settings.DATABASES["default"]["NAME"]
    connection.close()
    with _admin_connection() as admin:
        quoted = psycopg.sql.Identifier(name)
        admin.execute(
            psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(quoted)
        )
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(quoted))


def _indexes_drop(cursor, tables=LOADED_TABLES) -> list[str]:
    """Drop ``tables``' indexes but their primary keys (unique constraints
    too); the statements that build them again."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relname = ANY(%s) AND c.contype = 'u'
        """,
        [list(tables)],
    )
    constraints = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s) AND NOT i.indisprimary
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition in constraints
    ]


def database_seed(*, size: int, log=print) -> SeedReport:
    """Create, migrate and seed the benchmark database."""
    started = time.perf_counter()
    database_recreate()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.perf_counter() - started:.0f} s; seeding {size:,} invoices")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        indexes = _indexes_drop(cursor)
    report = seed(size=size, log=log)
    log(f"rows written in {report.seconds:.0f} s; building {len(indexes)} indexes")
    indexed = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for statement in indexes:
            cursor.execute(statement)
        cursor.execute("SET session_replication_role = DEFAULT")
    log(f"indexes built in {time.perf_counter() - indexed:.0f} s; VACUUM ANALYZE")
    vacuumed = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        seconds = time.perf_counter() - started
        cursor.execute(
            f"CREATE TABLE {MARKER} (size integer NOT NULL, "
            "seeded_at timestamptz NOT NULL DEFAULT now(), seconds real NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {MARKER} (size, seconds) VALUES (%s, %s)",  # noqa: S608
            [size, seconds],
        )
        if report.procurement is not None:
            _procurement_mark(cursor, report.procurement)
    log(f"vacuumed in {time.perf_counter() - vacuumed:.0f} s")
    report.seconds = seconds
    return report


def _procurement_mark(cursor, report: ProcurementReport) -> None:
    cursor.execute(
        f"CREATE TABLE {PROCUREMENT_MARKER} (orders integer NOT NULL, "
        "seeded_at timestamptz NOT NULL DEFAULT now(), seconds real NOT NULL)"
    )
    cursor.execute(
        f"INSERT INTO {PROCUREMENT_MARKER} (orders, seconds) VALUES (%s, %s)",  # noqa: S608
        [report.orders, report.seconds],
    )


def procurement_seeded() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [PROCUREMENT_MARKER])
        return cursor.fetchone()[0] is not None


def database_seed_procurement(*, log=print) -> ProcurementReport:
    """Add procurement to a benchmark database seeded without it, as the
    full seeding writes it (its invoices untouched)."""
    started = time.perf_counter()
    database_migrate(log=log)
    with connection.cursor() as cursor:
        # Leftovers of an interrupted run (no marker: nothing was kept).
        cursor.execute(
            "TRUNCATE " + ", ".join(PROCUREMENT_TABLES) + " RESTART IDENTITY"
        )
        cursor.execute("DELETE FROM procurement_budgetcode")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        indexes = _indexes_drop(cursor, PROCUREMENT_TABLES)
    report = seed_procurement(log=log)
    log(f"procurement written in {report.seconds:.0f} s; building its indexes")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for statement in indexes:
            cursor.execute(statement)
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in (*PROCUREMENT_TABLES, "procurement_budgetcode"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        report.seconds = time.perf_counter() - started
        _procurement_mark(cursor, report)
    return report


def database_migrate(log=print) -> None:
    """Apply migrations newer than the seeding, then refresh the planner's
    statistics for any index they built."""
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"migrated and analysed in {time.perf_counter() - started:.0f} s")


def seed_seconds() -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seconds FROM {MARKER}")  # noqa: S608
        return cursor.fetchone()[0]


def row_counts() -> dict[str, int]:
    """How many rows the benchmark database holds, of what matters."""
    tables = {
        "invoices": "invoices_invoice",
        "lines": "invoices_invoiceline",
        "audit events": "invoices_invoiceevent",
        "payment batches": "municipality_paymentbatch",
        "payment notices": "municipality_paymentnotice",
        "orders": "procurement_order",
        "deliveries": "procurement_delivery",
        "suppliers": "partners_supplier",
        "departments": "municipality_department",
        "municipalities": "municipality_municipality",
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts
