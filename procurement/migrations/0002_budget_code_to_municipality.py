import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Budget codes now belong to the municipality app (its 0013): state
    only, the table and the orders' foreign key to it stay."""

    dependencies = [
        ('municipality', '0013_budget_code_from_procurement'),
        ('procurement', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='order',
                    name='budget_code',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='municipality.budgetcode', verbose_name='予算科目'),
                ),
                migrations.DeleteModel(
                    name='BudgetCode',
                ),
            ],
        ),
    ]
