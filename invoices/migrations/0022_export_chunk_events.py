"""A streamed export's chunk is one event listing its invoices (no
``invoice``); on PostgreSQL a GIN index finds those events for an invoice's
history (``invoices.selectors.invoice_events``).

The events table is the largest (9M rows at city scale) and is written
all day, so on PostgreSQL nothing here holds a lock that blocks it for
longer than a catalogue change: the column only drops NOT NULL (Django's
AlterField would drop and re-add the foreign key, checking every row under
lock); the check constraint is added NOT VALID, then validated in its own
transaction (VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go
on); the index is built CONCURRENTLY. Each step may be run again after an
interruption (the migration is not atomic). SQLite, the demo default,
remakes the table as Django does, in one transaction, and reads the lists
without an index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models, transaction

TABLE = "invoices_invoiceevent"
INDEX = "invoice_event_listed_idx"
CONSTRAINT = models.CheckConstraint(
    condition=models.Q(("invoice__isnull", False), ("kind", "exported"), _connector="OR"),
    name="invoice_event_has_invoice",
)
INVOICE = models.ForeignKey(
    blank=True,
    null=True,
    on_delete=django.db.models.deletion.PROTECT,
    related_name="events",
    to="invoices.invoice",
    verbose_name="請求書",
)
# The ACCESS EXCLUSIVE steps give up rather than queue behind a long
# query, with every other query queued behind them.
LOCK_TIMEOUT = "5s"


class NotOnPostgreSQL(migrations.operations.base.Operation):
    """``operation`` on any database but PostgreSQL (which the RunPython
    steps below change without long locks), in one transaction."""

    def __init__(self, operation):
        self.operation = operation

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            with transaction.atomic(using=schema_editor.connection.alias):
                self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            with transaction.atomic(using=schema_editor.connection.alias):
                self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.operation.describe()} (not on PostgreSQL)"


def _constraint_exists(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [CONSTRAINT.name, TABLE],
        )
        return cursor.fetchone() is not None


def nullable_and_checked(apps, schema_editor):
    """DROP NOT NULL and the constraint NOT VALID: catalogue changes only."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN invoice_id DROP NOT NULL")
        if not _constraint_exists(schema_editor):
            InvoiceEvent = apps.get_model("invoices", "InvoiceEvent")
            add = CONSTRAINT.create_sql(InvoiceEvent, schema_editor)
            schema_editor.execute(f"{add} NOT VALID")
    finally:
        schema_editor.execute("RESET lock_timeout")


def required_and_unchecked(apps, schema_editor):
    """Back: fails while a chunk event exists (it has no invoice to point to)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {CONSTRAINT.name}")
    schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN invoice_id SET NOT NULL")


def constraint_validate(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {CONSTRAINT.name}")


def listed_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} "
        "USING gin ((data -> 'invoices') jsonb_path_ops) WHERE data ? 'invoices'"
    )


def listed_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # Each step commits on its own: VALIDATE and CREATE INDEX CONCURRENTLY
    # must not hold the catalogue changes' ACCESS EXCLUSIVE lock.
    atomic = False

    dependencies = [
        ("invoices", "0021_city_period_index"),
        ("municipality", "0017_settings_event_budget_code"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="invoiceevent", name="invoice", field=INVOICE),
                migrations.AddConstraint(model_name="invoiceevent", constraint=CONSTRAINT),
            ],
            database_operations=[
                NotOnPostgreSQL(
                    migrations.AlterField(
                        model_name="invoiceevent", name="invoice", field=INVOICE
                    )
                ),
                NotOnPostgreSQL(
                    migrations.AddConstraint(model_name="invoiceevent", constraint=CONSTRAINT)
                ),
                migrations.RunPython(nullable_and_checked, required_and_unchecked),
            ],
        ),
        migrations.RunPython(constraint_validate, migrations.RunPython.noop),
        migrations.RunPython(listed_index_create, listed_index_drop),
    ]
