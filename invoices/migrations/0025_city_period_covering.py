"""On PostgreSQL, the city's period index (0021) also holds the columns a
city-wide count by 取引日 checks (the municipality, department, status,
both dates and the supplier), so that the count reads the index alone
(an index-only scan) instead of each invoice's row: a fiscal year's
search by a name most suppliers match counted its 10,001 invoices from
24,000 rows at about 60 ms, and counts them from the index at about 20.
It holds the inbox's 受付日 order too (未開封, 受付日, id), so that a page
of a 取引日 range in that order can be sorted from the index alone
(``invoices.views.inbox``).
Built CONCURRENTLY beside the old one, which is then dropped.

Index-only scans skip the rows only on pages the visibility map marks all
visible, which vacuum does: the invoices table is vacuumed after 2% of it
changed or was added rather than PostgreSQL's default 20% (100,000 rows of
a 500,000-invoice table between runs). SQLite, the demo default, searches
without either."""

from django.db import migrations

PERIOD = (
    "daterange(transaction_date, "
    "COALESCE(transaction_end_date, transaction_date), '[]')"
)
COVERED = (
    "municipality_id, department_id, status, transaction_date, "
    "transaction_end_date, supplier_id, unopened, received_at, id"
)
VACUUM = (
    "autovacuum_vacuum_scale_factor = 0.02, "
    "autovacuum_vacuum_insert_scale_factor = 0.02"
)


def _index(schema_editor, name: str, include: str = ""):
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
        f"ON invoices_invoice USING gist ((municipality_id::integer), ({PERIOD})) "
        f"{include}WHERE NOT status = 'draft'"
    )


def covering_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _index(schema_editor, "invoice_city_period_covering", f"INCLUDE ({COVERED}) ")
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS invoice_city_period")
    schema_editor.execute(f"ALTER TABLE invoices_invoice SET ({VACUUM})")


def covering_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE invoices_invoice RESET (autovacuum_vacuum_scale_factor, "
        "autovacuum_vacuum_insert_scale_factor)"
    )
    _index(schema_editor, "invoice_city_period")
    schema_editor.execute(
        "DROP INDEX CONCURRENTLY IF EXISTS invoice_city_period_covering"
    )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("invoices", "0024_period_statistics"),
    ]

    operations = [
        migrations.RunPython(covering_create, covering_drop),
    ]
