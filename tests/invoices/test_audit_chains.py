"""One audit chain per municipality (and a platform chain for events of no
municipality): writers of two cities never wait for each other, each chain
is verified on its own and names its broken event, verification is fast,
and the migration keeps the old global chain verifiable."""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection as db_connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

from invoices.audit import EVENT_HASHED, event_digest, events_append
from invoices.audit_verify import chains_verify
from invoices.models import EventKind, InvoiceEvent
from municipality.audit import (
    GENESIS,
    chain_head_lock,
    settings_event_append,
    settings_event_digest,
)
from municipality.models import (
    AuditChainHead,
    ChainScope,
    Municipality,
    SettingsAction,
    SettingsEvent,
    SettingsEventKind,
)
from partners.models import Connection
from tests.factories import make_invoice

postgresql_only = pytest.mark.skipif(
    db_connection.vendor != "postgresql",
    reason="concurrent transactions need PostgreSQL (set DATABASE_URL)",
)


def _tamper(sql, params):
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)


def _setting_changed(municipality, actor, n=1):
    with transaction.atomic():
        return settings_event_append(
            kind=SettingsEventKind.MUNICIPALITY_SETTINGS,
            action=SettingsAction.CHANGED,
            target_label=municipality.name,
            changes=[{"field": "payment_days", "label": "x", "before": "", "after": n}],
            actor=actor,
            municipality_id=municipality.pk,
        )


@pytest.fixture
def two_cities(
    tenant,
    other_tenant,
    supplier_user,
    other_supplier_user,
    django_capture_on_commit_callbacks,
):
    """An issued invoice and a settings change in each city, interleaved."""
    invoices = []
    with scopes_disabled():
        for user in (supplier_user, other_supplier_user):
            connection = Connection.objects.get(
                supplier=user.supplier_membership.supplier
            )
            with django_capture_on_commit_callbacks(execute=True):
                invoices.append(make_invoice(connection=connection, actor=user))
            city = connection.department.municipality
            _setting_changed(city, tenant.city_admin)
    return invoices


def test_each_city_has_its_own_chain(two_cities, tenant, other_tenant):
    with scopes_disabled():
        heads = {
            h.municipality_id: h
            for h in AuditChainHead.objects.filter(scope=ChainScope.MUNICIPALITY)
        }
        for city in (tenant.municipality, other_tenant.municipality):
            first = InvoiceEvent.objects.filter(municipality=city).order_by("pk")[0]
            # Each chain starts afresh; its head counts only its own events.
            assert first.prev_hash == GENESIS
            assert heads[city.pk].count == (
                InvoiceEvent.objects.filter(municipality=city).count()
                + SettingsEvent.objects.filter(municipality=city).count()
            )


def test_supplier_role_events_go_to_the_platform_chain(db, supplier_user, capsys):
    supplier = supplier_user.supplier_membership.supplier
    with transaction.atomic():
        event = settings_event_append(
            kind=SettingsEventKind.SUPPLIER_ROLE,
            action=SettingsAction.CREATED,
            target_label=supplier.legal_name,
            changes=[],
            actor=supplier_user,
            supplier_id=supplier.pk,
        )
    head = AuditChainHead.objects.get(scope=ChainScope.PLATFORM)
    assert (head.hash, head.count, event.prev_hash) == (event.hash, 1, GENESIS)
    call_command("verify_audit_chain")
    assert "自治体のない履歴" in capsys.readouterr().out


def test_verify_names_the_broken_chain_and_event_only(two_cities, other_tenant):
    with scopes_disabled():
        event = InvoiceEvent.objects.filter(invoice=two_cities[0]).first()
    _tamper(
        "UPDATE invoices_invoiceevent SET reason = %s WHERE id = %s",
        ["書き換え", event.pk],
    )
    results = {r.chain.municipality_id: r for r in chains_verify()}
    broken = results[two_cities[0].municipality_id]
    assert broken.problem.event_id == event.pk
    assert results[other_tenant.municipality.pk].problem is None
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit_chain")
    message = str(raised.value)
    assert f"{broken.chain.label}: 履歴 ID {event.pk}" in message
    assert "kirishima" not in message
    # The other city's chain alone is intact.
    call_command("verify_audit_chain", municipality="kirishima")
    with scopes_disabled():
        slug = two_cities[0].municipality.slug
    with pytest.raises(CommandError, match=f"履歴 ID {event.pk}"):
        call_command("verify_audit_chain", municipality=slug)


def test_an_event_moved_to_another_citys_chain_is_noticed(two_cities, other_tenant):
    with scopes_disabled():
        event = InvoiceEvent.objects.filter(invoice=two_cities[0]).last()
    _tamper(
        "UPDATE invoices_invoiceevent SET municipality_id = %s WHERE id = %s",
        [other_tenant.municipality.pk, event.pk],
    )
    with pytest.raises(CommandError, match="内容がハッシュと一致しません"):
        call_command("verify_audit_chain")


def test_an_unknown_municipality_is_refused(db):
    with pytest.raises(CommandError, match="nowhere"):
        call_command("verify_audit_chain", municipality="nowhere")


def test_verification_is_fast(issued_invoice, supplier_user):
    """Reading and checking the chain costs little more than recomputing
    its hashes in memory (the floor), measured in the same run so that a
    busy CI machine slows both (the command reaches ≥ 50,000 events/s on
    PostgreSQL at city scale, see ``benchmarks/audit_chain.py``)."""
    with transaction.atomic():
        events_append(
            invoices=[issued_invoice] * 3000,
            kind=EventKind.VIEWED,
            actor=supplier_user,
        )
    with scopes_disabled():
        rows = list(InvoiceEvent.objects.values_list(*EVENT_HASHED))
    started = time.perf_counter()
    for row in rows:
        event_digest(*row)
    floor = time.perf_counter() - started
    (result,) = (r for r in chains_verify() if r.events)
    assert result.problem is None
    assert result.events == len(rows)
    assert result.seconds < 5 * floor + 0.2, (result.seconds, floor)


def _setting_changed_waiting_at_most(tenant, timeout):
    with transaction.atomic():
        with db_connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
        _setting_changed(tenant.municipality, tenant.city_admin)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_cities_writers_do_not_wait_for_each_other(tenant, other_tenant):
    """One transaction holds city A's chain head; a settings change in city
    B completes meanwhile, while one in city A would have to wait."""
    locked, release = threading.Event(), threading.Event()

    def hold_city_a():
        try:
            with transaction.atomic():
                chain_head_lock(tenant.municipality.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            db_connection.close()

    holder = threading.Thread(target=hold_city_a)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with transaction.atomic():
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            event = settings_event_append(
                kind=SettingsEventKind.MUNICIPALITY_SETTINGS,
                action=SettingsAction.CHANGED,
                target_label=other_tenant.municipality.name,
                changes=[{"field": "x", "label": "x", "before": "1", "after": "2"}],
                actor=other_tenant.city_admin,
                municipality_id=other_tenant.municipality.pk,
            )
        assert event.pk
        # City A's writer is blocked by the holder (the test can fail).
        with pytest.raises(OperationalError):
            _setting_changed_waiting_at_most(tenant, "200ms")
    finally:
        release.set()
        holder.join(timeout=30)
    call_command("verify_audit_chain")


# The migration ---------------------------------------------------------------

BEFORE = [("invoices", "0012_withholding"), ("municipality", "0010_withholding")]


def _migrate(targets=None):
    executor = MigrationExecutor(db_connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_global_chain_and_keeps_it_verifiable(
    capsys,
):
    old = _migrate(BEFORE)
    cities = [
        old.get_model("municipality", "Municipality").objects.create(
            name=name,
            name_kana="カナ",
            local_government_code=code,
            corporate_number=f"40000204{code[:5]}",
            slug=slug,
            address=name,
        )
        for name, code, slug in (
            ("鹿屋市", "462039", "kanoya"),
            ("霧島市", "462187", "kirishima"),
        )
    ]
    # One global chain, interleaving both cities, as the old code wrote it.
    old_events = old.get_model("municipality", "SettingsEvent").objects
    prev_hash, written = GENESIS, []
    for n in range(4):
        city = cities[n % 2]
        fields = {
            "municipality_id": city.pk,
            "supplier_id": None,
            "kind": "municipality",
            "action": "changed",
            "subject_user_id": None,
            "target_label": city.name,
            "changes": [{"field": "payment_days", "before": "30", "after": str(n)}],
            "actor_id": None,
            "actor_label": "システム",
            "prev_hash": prev_hash,
            "created_at": "2026-11-27T09:00:00+00:00",
        }
        written.append(old_events.create(**fields, hash="x" * 64))
        written[-1].refresh_from_db()
        fields["created_at"] = written[-1].created_at
        prev_hash = settings_event_digest(*fields.values())
        old_events.filter(pk=written[-1].pk).update(hash=prev_hash)
    old.get_model("municipality", "AuditChainHead").objects.create(
        pk=1, hash=prev_hash, count=4
    )

    _migrate()

    legacy = AuditChainHead.objects.get(scope=ChainScope.LEGACY)
    assert (legacy.hash, legacy.count) == (prev_hash, 4)
    assert legacy.sealed_settings_event_id == written[-1].pk
    call_command("verify_audit_chain")
    assert "移行前の共通チェーン" in capsys.readouterr().out

    # New events go to each city's own chain, from the genesis hash.
    kanoya = Municipality.objects.get(slug="kanoya")
    with scopes_disabled():
        new = _setting_changed(kanoya, None, n=9)
    assert new.prev_hash == GENESIS
    out = capsys.readouterr().out
    call_command("verify_audit_chain")
    out = capsys.readouterr().out
    assert "履歴 5 件" in out

    # Tampering with a sealed event is still noticed, in the legacy chain.
    _tamper(
        "UPDATE invoices_settingsevent SET target_label = %s WHERE id = %s",
        ["書き換え", written[1].pk],
    )
    with pytest.raises(CommandError, match="移行前の共通チェーン") as raised:
        call_command("verify_audit_chain")
    assert f"設定・権限の履歴 ID {written[1].pk}" in str(raised.value)
    # One city's own chain is unaffected.
    call_command("verify_audit_chain", municipality="kanoya")
