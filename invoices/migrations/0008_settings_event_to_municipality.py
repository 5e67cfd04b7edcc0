"""The audit chain's head and the settings events now belong to
municipality (see ``municipality.0008``): they leave the invoices state
only; their tables and rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("invoices", "0007_settings_event_kinds_staff_department"),
        ("municipality", "0008_settings_event_from_invoices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditChainHead"),
                migrations.DeleteModel(name="SettingsEvent"),
            ],
        ),
    ]
