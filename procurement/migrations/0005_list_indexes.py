"""Indexes for the order list (newest first, keyset pages) and the
inspections page (the city's and a department's), built CONCURRENTLY on PostgreSQL (as invoices' 0017)
so that a city's orders and deliveries stay writable meanwhile."""

from django.db import migrations, models

INDEXES = {
    "order": [
        models.Index(
            fields=["municipality", "order_date", "id"], name="order_city_list"
        ),
        models.Index(
            fields=["municipality", "status", "order_date", "id"],
            name="order_city_status_list",
        ),
        models.Index(
            fields=["department", "order_date", "id"], name="order_department_list"
        ),
    ],
    "delivery": [
        *[
            models.Index(
                condition=models.Q(("status", "pending"), _negated=True),
                fields=[scope, "inspected_on", "id"],
                name=f"delivery_{short}_inspected",
            )
            for scope, short in (("municipality", "city"), ("department", "dept"))
        ],
        models.Index(
            condition=models.Q(("late_days__gt", 0)),
            fields=["municipality", "department"],
            name="delivery_late",
        ),
    ],
}


def _options(schema_editor) -> dict:
    concurrently = schema_editor.connection.vendor == "postgresql"
    return {"concurrently": True} if concurrently else {}


def indexes_create(apps, schema_editor):
    for model_name, indexes in INDEXES.items():
        model = apps.get_model("procurement", model_name)
        for index in indexes:
            schema_editor.add_index(model, index, **_options(schema_editor))


def indexes_drop(apps, schema_editor):
    for model_name, indexes in INDEXES.items():
        model = apps.get_model("procurement", model_name)
        for index in indexes:
            schema_editor.remove_index(model, index, **_options(schema_editor))


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("procurement", "0004_delivery_department_required"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name=model_name, index=index)
                for model_name, indexes in INDEXES.items()
                for index in indexes
            ],
            database_operations=[
                migrations.RunPython(indexes_create, indexes_drop)
            ],
        ),
    ]
