"""Statistics on each invoice's period (``invoices.search.period_overlaps``).

PostgreSQL reads an expression's statistics from an index on it only when
the index is not partial; both period indexes leave drafts out, so the
planner guessed 1% of all invoices for any 取引日 range, a day's or ten
years', and chose its plans for a list by 取引日 on that guess. Extended
statistics on the expression give it the real figure (a year: 100,000
invoices of 1,000,000). ANALYZE samples the table (seconds, no lock that
blocks reads or writes) so that the figures are there at once, not after
autovacuum's next analyse of a large table.
"""

from django.db import migrations

EXPRESSION = (
    "daterange(transaction_date, COALESCE(transaction_end_date, transaction_date), '[]')"
)


def statistics_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE STATISTICS IF NOT EXISTS invoice_period_statistics "
        f"ON ({EXPRESSION}) FROM invoices_invoice"
    )
    schema_editor.execute("ANALYZE invoices_invoice")


def statistics_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP STATISTICS IF EXISTS invoice_period_statistics")


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0023_dept_supplier_index"),
    ]

    operations = [
        migrations.RunPython(statistics_create, statistics_drop),
    ]
