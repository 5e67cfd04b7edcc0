from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('municipality', '0014_invoice_accounting'),
    ]

    operations = [
        migrations.AddField(
            model_name='paymentbatch',
            name='fiscal_year',
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='会計年度'),
        ),
    ]
