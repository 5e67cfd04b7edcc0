"""The department's 取引先 index (``invoices.models.invoice.list_indexes``),
built CONCURRENTLY on PostgreSQL as 0020's."""

from django.db import migrations, models
from django.db.models import Q

INDEX = models.Index(
    fields=["department", "supplier"],
    include=["municipality"],
    condition=~Q(status="draft"),
    name="invoice_dept_supplier",
)


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
        ("invoices", "0022_export_chunk_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="invoice", index=INDEX)],
            database_operations=[migrations.RunPython(index_create, index_drop)],
        ),
    ]
