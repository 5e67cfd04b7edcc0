"""The audit chain's head and the settings events move from invoices to
municipality (README, "Layout": municipality writes settings events and may
not import invoices). Only Django's state moves: the tables keep their names
(``db_table``) and their rows, so nothing is done to the database except
renaming the two models' content types (their permissions and admin log
entries follow). ``invoices.0008`` removes them from the invoices state."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("auditchainhead", "settingsevent")


def _content_types_move(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def content_types_forward(apps, schema_editor):
    _content_types_move(apps, schema_editor, "invoices", "municipality")


def content_types_backward(apps, schema_editor):
    _content_types_move(apps, schema_editor, "municipality", "invoices")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("invoices", "0007_settings_event_kinds_staff_department"),
        ("municipality", "0007_staff_invitation"),
        ("partners", "0005_seal_png_help_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditChainHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hash', models.CharField(max_length=64)),
                        ('count', models.PositiveBigIntegerField(default=0)),
                    ],
                    options={
                        'verbose_name': '履歴チェーンの先頭',
                        'verbose_name_plural': '履歴チェーンの先頭',
                        'db_table': 'invoices_auditchainhead',
                    },
                ),
                migrations.CreateModel(
                    name='SettingsEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('treasury', '会計の設定'), ('municipality', '支払期限・催促の設定'), ('staff_role', '職員の役割'), ('supplier_role', '取引先の利用者の役割'), ('staff_invitation', '職員の招待'), ('department', '部署')], max_length=16, verbose_name='種類')),
                        ('action', models.CharField(choices=[('created', '登録・付与'), ('changed', '変更'), ('deleted', '削除・取消')], max_length=10, verbose_name='操作')),
                        ('target_label', models.CharField(max_length=300, verbose_name='対象')),
                        ('changes', models.JSONField(default=list, verbose_name='変更内容')),
                        ('actor_label', models.CharField(blank=True, max_length=200, verbose_name='操作した人（記録時）')),
                        ('prev_hash', models.CharField(max_length=64, verbose_name='直前のハッシュ')),
                        ('hash', models.CharField(max_length=64, unique=True, verbose_name='ハッシュ')),
                        ('created_at', models.DateTimeField(verbose_name='日時')),
                        ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作した人')),
                        ('municipality', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='municipality.municipality', verbose_name='自治体')),
                        ('subject_user', models.ForeignKey(blank=True, help_text='役割の変更のとき、その役割を持つ（持っていた）利用者。履歴のある利用者は削除できません（無効にしてください）。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='役割を持つ人')),
                        ('supplier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.supplier', verbose_name='取引先')),
                    ],
                    options={
                        'verbose_name': '設定・権限の変更履歴',
                        'verbose_name_plural': '設定・権限の変更履歴',
                        'db_table': 'invoices_settingsevent',
                        'ordering': ['pk'],
                        'indexes': [models.Index(fields=['municipality', '-id'], name='settings_event_city_idx'), models.Index(fields=['supplier', '-id'], name='settings_event_supplier_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('municipality__isnull', False), ('supplier__isnull', False), _connector='OR'), name='settings_event_has_owner'), models.CheckConstraint(condition=models.Q(('kind__in', ['treasury', 'municipality', 'staff_role', 'supplier_role', 'staff_invitation', 'department']), ('action__in', ['created', 'changed', 'deleted'])), name='settings_event_kind_valid')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
