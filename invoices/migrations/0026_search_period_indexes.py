"""The 取引日 indexes (``invoices.models.invoice.list_indexes``) also hold
each invoice's period end and supplier (and, the department's, its city),
so that a page in 取引日 order reads its ids from the index alone. At
1,000,000 invoices the planner priced walking the old index from a 30-day
range's end (0.1 ms) against ANDing a bitmap of the city's 294,000
invoices (45 ms) so closely that one ANALYZE's sample chose the second.
Built CONCURRENTLY on PostgreSQL beside the old ones, which are then
dropped, as 0023."""

from django.db import migrations, models
from django.db.models import Q

ISSUED = ~Q(status="draft")
OLD = [
    models.Index(
        fields=[scope, "transaction_date", "id"],
        condition=ISSUED,
        name=f"invoice_{short}_search_date",
    )
    for scope, short in (("municipality", "city"), ("department", "dept"))
]
NEW = [
    models.Index(
        fields=["municipality", "transaction_date", "id"],
        include=["transaction_end_date", "supplier"],
        condition=ISSUED,
        name="invoice_city_search_period",
    ),
    models.Index(
        fields=["department", "transaction_date", "id"],
        include=["transaction_end_date", "supplier", "municipality"],
        condition=ISSUED,
        name="invoice_dept_search_period",
    ),
]


def _replace(schema_editor, Invoice, added, removed):
    options = (
        {"concurrently": True}
        if schema_editor.connection.vendor == "postgresql"
        else {}
    )
    for index in added:
        schema_editor.add_index(Invoice, index, **options)
    for index in removed:
        schema_editor.remove_index(Invoice, index, **options)


def indexes_replace(apps, schema_editor):
    _replace(schema_editor, apps.get_model("invoices", "Invoice"), NEW, OLD)


def indexes_restore(apps, schema_editor):
    _replace(schema_editor, apps.get_model("invoices", "Invoice"), OLD, NEW)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("invoices", "0025_city_period_covering"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *[
                    migrations.RemoveIndex(model_name="invoice", name=index.name)
                    for index in OLD
                ],
                *[
                    migrations.AddIndex(model_name="invoice", index=index)
                    for index in NEW
                ],
            ],
            database_operations=[
                migrations.RunPython(indexes_replace, indexes_restore)
            ],
        ),
    ]
