"""On PostgreSQL, a GiST index on each issued invoice's period
[transaction_date, transaction_end_date] for the search by 取引日
(``invoices.search.period_overlaps``). Built CONCURRENTLY: invoices keep
arriving while it is built (tens of seconds at a million). SQLite, the
demo default, searches without it."""

from django.db import migrations

PERIOD = (
    "daterange(transaction_date, "
    "COALESCE(transaction_end_date, transaction_date), '[]')"
)


def period_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS invoice_transaction_period "
        f"ON invoices_invoice USING gist (({PERIOD})) WHERE NOT status = 'draft'"
    )


def period_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS invoice_transaction_period")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("invoices", "0016_order_and_delivery_numbers"),
    ]

    operations = [
        migrations.RunPython(period_index_create, period_index_drop),
    ]
