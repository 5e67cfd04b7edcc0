"""An index for the staff's search by 取引先 within one municipality
(``invoices.models.invoice.list_indexes``), built CONCURRENTLY on
PostgreSQL: invoices keep arriving while it is built."""

from django.db import migrations, models

INDEX = models.Index(
    condition=models.Q(("status", "draft"), _negated=True),
    fields=["supplier", "municipality", "transaction_date", "id"],
    name="invoice_supplier_city",
)


def index_create(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(Invoice, INDEX, concurrently=True)
    else:
        schema_editor.add_index(Invoice, INDEX)


def index_drop(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(Invoice, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(Invoice, INDEX)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("invoices", "0017_transaction_period_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="invoice", index=INDEX)],
            database_operations=[migrations.RunPython(index_create, index_drop)],
        ),
    ]
