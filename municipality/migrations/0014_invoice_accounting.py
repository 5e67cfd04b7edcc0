import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoices', '0015_inbox_supplier_index'),
        ('municipality', '0013_budget_code_from_procurement'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='InvoiceAccounting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fiscal_year', models.PositiveSmallIntegerField(verbose_name='会計年度')),
                ('commitment_number', models.CharField(blank=True, max_length=40, verbose_name='支出負担行為番号')),
                ('inspected_on', models.DateField(blank=True, null=True, verbose_name='検収日')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新日時')),
                ('budget_code', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='invoice_accounting', to='municipality.budgetcode', verbose_name='予算科目')),
                ('invoice', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='accounting', to='invoices.invoice', verbose_name='請求書')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='municipality.municipality', verbose_name='自治体')),
                ('updated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='更新した人')),
            ],
            options={
                'verbose_name': '請求書の会計情報',
                'verbose_name_plural': '請求書の会計情報',
            },
        ),
        migrations.AddIndex(
            model_name='invoiceaccounting',
            index=models.Index(fields=['municipality', 'fiscal_year', 'budget_code'], name='invoice_accounting_year_code'),
        ),
        migrations.AddConstraint(
            model_name='invoiceaccounting',
            constraint=models.CheckConstraint(condition=models.Q(('fiscal_year__gte', 2000), ('fiscal_year__lte', 2100)), name='invoice_accounting_fiscal_year_range'),
        ),
    ]
