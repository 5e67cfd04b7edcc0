"""The settings events and the chain head moved from invoices to municipality
(municipality.0008, invoices.0008) without touching their tables: rows
written under the old app are the new models' rows, and the content types
(with their permissions) follow."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

BEFORE = [
    ("invoices", "0007_settings_event_kinds_staff_department"),
    ("municipality", "0007_staff_invitation"),
]


def _migrate(targets=None):
    """Migrate to ``targets`` (default: the latest migrations), return the
    models as they are there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_settings_events_keep_their_rows_and_permissions_in_municipality():
    old = _migrate(BEFORE)
    municipality = old.get_model("municipality", "Municipality").objects.create(
        name="Kanoya",
        name_kana="カノヤシ",
        local_government_code="462039",
        corporate_number="4000020462039",
        slug="kanoya",
        address="Kanoya",
    )
    old.get_model("invoices", "AuditChainHead").objects.create(hash="b" * 64, count=1)
    event = old.get_model("invoices", "SettingsEvent").objects.create(
        municipality=municipality,
        kind="municipality",
        action="changed",
        target_label="Kanoya",
        changes=[{"field": "payment_days", "before": "30", "after": "20"}],
        actor_label="system",
        prev_hash="a" * 64,
        hash="b" * 64,
        created_at="2026-11-27T09:00:00+09:00",
    )
    # The test database has the type already (as municipality's); going
    # back to 0007 gave it back to invoices.
    content_type, _ = old.get_model(
        "contenttypes", "ContentType"
    ).objects.get_or_create(app_label="invoices", model="settingsevent")

    new = _migrate()

    from municipality.models import AuditChainHead, SettingsEvent

    with scopes_disabled():
        moved = SettingsEvent.objects.get()
    assert (moved.pk, moved.municipality_id, moved.hash) == (
        event.pk,
        municipality.pk,
        "b" * 64,
    )
    assert moved.changes == [{"field": "payment_days", "before": "30", "after": "20"}]
    assert AuditChainHead.objects.get().count == 1
    content_types = new.get_model("contenttypes", "ContentType").objects
    assert content_types.get(pk=content_type.pk).app_label == "municipality"
    assert not content_types.filter(app_label="invoices", model="settingsevent")
