"""A delivery carries its order's department (which no longer changes once
the order is sent), so that a department's deliveries have indexes of
their own: added empty, filled from the orders, then required (0004; a
separate transaction, as PostgreSQL does not alter a table with the
fill's foreign-key checks pending)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def departments_fill(apps, schema_editor):
    Delivery = apps.get_model("procurement", "Delivery")
    Order = apps.get_model("procurement", "Order")
    Delivery.objects.update(
        department_id=Subquery(
            Order.objects.filter(pk=OuterRef("order_id")).values("department_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("municipality", "0013_budget_code_from_procurement"),
        ("procurement", "0002_budget_code_to_municipality"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="department",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deliveries",
                to="municipality.department",
                verbose_name="発注部署",
            ),
        ),
        migrations.RunPython(departments_fill, migrations.RunPython.noop),
    ]
