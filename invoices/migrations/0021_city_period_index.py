"""On PostgreSQL, a GiST index on each issued invoice's municipality and
period for the city-wide search by 取引日 (``invoices.search.
period_overlaps``). With the period alone (0017), PostgreSQL found the
invoices of the range in every city and then ANDed them with a bitmap of
all of one city's invoices (hundreds of thousands) to count a page's
results; leading with the municipality (btree_gist, a trusted extension)
finds one city's range in the index itself. The municipality is indexed
as an integer (``invoices.search.city_period_hint``): btree_gist has no
bigint = integer operator, and Django compares the bigint column with an
integer. Built CONCURRENTLY, as 0017. SQLite, the demo default, searches
without it."""

from django.db import migrations

PERIOD = (
    "daterange(transaction_date, "
    "COALESCE(transaction_end_date, transaction_date), '[]')"
)


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS invoice_city_period "
        f"ON invoices_invoice USING gist ((municipality_id::integer), ({PERIOD})) "
        "WHERE NOT status = 'draft'"
    )


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS invoice_city_period")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("invoices", "0020_supplier_api_index"),
    ]

    operations = [
        migrations.RunPython(index_create, index_drop),
    ]
