from django.db import migrations, models

import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0003_delivery_department"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="department",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deliveries",
                to="municipality.department",
                verbose_name="発注部署",
            ),
        ),
    ]
