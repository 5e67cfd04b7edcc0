"""An index for the API's invoice list (``invoices.models.invoice.list_indexes``),
built CONCURRENTLY on PostgreSQL as 0017's."""

from django.db import migrations, models

INDEX = models.Index(fields=["supplier", "id"], name="invoice_supplier_api")


def index_create(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    concurrently = schema_editor.connection.vendor == "postgresql"
    schema_editor.add_index(Invoice, INDEX, **({"concurrently": True} if concurrently else {}))


def index_drop(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    concurrently = schema_editor.connection.vendor == "postgresql"
    schema_editor.remove_index(Invoice, INDEX, **({"concurrently": True} if concurrently else {}))


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("invoices", "0019_withholding_paid_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="invoice", index=INDEX)],
            database_operations=[migrations.RunPython(index_create, index_drop)],
        ),
    ]
