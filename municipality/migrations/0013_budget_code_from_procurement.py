import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Budget codes move down from procurement, so that the treasury can
    read an invoice's 予算科目. State only: the table
    procurement_budgetcode and its rows stay as they are (the model keeps
    its db_table), so the previous release's processes keep working."""

    dependencies = [
        ('municipality', '0012_reconciliation'),
        # The table this model now names is created there.
        ('procurement', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='BudgetCode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('fiscal_year', models.PositiveSmallIntegerField(verbose_name='会計年度')),
                        ('account', models.CharField(help_text='例: 一般会計、国民健康保険特別会計', max_length=40, verbose_name='会計区分')),
                        ('kan', models.CharField(max_length=10, verbose_name='款')),
                        ('kan_name', models.CharField(max_length=60, verbose_name='款の名称')),
                        ('kou', models.CharField(max_length=10, verbose_name='項')),
                        ('kou_name', models.CharField(max_length=60, verbose_name='項の名称')),
                        ('moku', models.CharField(max_length=10, verbose_name='目')),
                        ('moku_name', models.CharField(max_length=60, verbose_name='目の名称')),
                        ('setsu', models.CharField(max_length=10, verbose_name='節')),
                        ('setsu_name', models.CharField(help_text='例: 需用費、委託料、工事請負費', max_length=60, verbose_name='節の名称')),
                        ('saisetsu', models.CharField(blank=True, max_length=10, verbose_name='細節')),
                        ('saisetsu_name', models.CharField(blank=True, max_length=60, verbose_name='細節の名称')),
                        ('is_active', models.BooleanField(default=True, help_text='無効にした予算科目は発注で選べません。', verbose_name='有効')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='作成日時')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新日時')),
                        ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='budget_codes', to='municipality.municipality', verbose_name='自治体')),
                    ],
                    options={
                        'constraints': [
                            models.UniqueConstraint(fields=('municipality', 'fiscal_year', 'account', 'kan', 'kou', 'moku', 'setsu', 'saisetsu'), name='budget_code_unique', violation_error_message='同じ会計年度・会計区分・科目コードの予算科目がすでにあります。'),
                            models.CheckConstraint(condition=models.Q(('fiscal_year__gte', 2000), ('fiscal_year__lte', 2100)), name='budget_code_fiscal_year_range'),
                            models.CheckConstraint(condition=models.Q(('saisetsu', ''), models.Q(('saisetsu_name', ''), _negated=True), _connector='OR'), name='budget_code_saisetsu_named'),
                        ],
                        'verbose_name': '予算科目',
                        'verbose_name_plural': '予算科目',
                        'db_table': 'procurement_budgetcode',
                        'ordering': ['fiscal_year', 'account', 'kan', 'kou', 'moku', 'setsu', 'saisetsu'],
                    },
                ),
            ],
        ),
    ]
