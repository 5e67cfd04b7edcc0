"""Settings that weaken or strengthen a control, and roles, are audited
(設定・権限の変更履歴): treasury settings (four-eyes, account, fees),
payment-deadline and reminder settings, staff roles and supplier roles,
through every writer (city console, supplier pages, invitations, Django
admin and its inlines). Each change is a settings event with the actor and
each field before and after, in the same hash chain as invoice events;
city administrators read their city's on the console, supplier owners
their supplier's on the members page."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from municipality.models import (
    Municipality,
    SettingsAction,
    SettingsEvent,
    SettingsEventKind,
    StaffMembership,
    StaffRole,
)
from municipality.treasury.services.settings import treasury_settings_save
from partners.models import SupplierMembership, SupplierRole
from tests.factories import (
    PASSWORD,
    SupplierMembershipFactory,
    UserFactory,
    make_invoice,
)
from tests.municipality.test_treasury_support import make_settings
from tests.municipality.test_treasury_views import _settings_data

pytestmark = pytest.mark.django_db


def _events(**filters) -> list[SettingsEvent]:
    with scopes_disabled():
        return list(SettingsEvent.objects.filter(**filters).order_by("pk"))


def _changes(event) -> dict[str, tuple[str, str]]:
    return {c["field"]: (c["before"], c["after"]) for c in event.changes}


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


# Treasury settings ------------------------------------------------------------


def test_turning_four_eyes_off_on_the_console_is_recorded_with_actor_and_values(
    client, tenant
):
    with scopes_disabled():
        make_settings(tenant.municipality, four_eyes=True)
    _login(client, tenant.city_admin)
    url = reverse("city:treasury_settings", args=[tenant.municipality.slug])
    data = _settings_data()
    del data["four_eyes"]  # unticked
    response = client.post(url, data)
    assert response.status_code == 302
    (event,) = _events(kind=SettingsEventKind.TREASURY_SETTINGS)
    assert event.action == SettingsAction.CHANGED
    assert event.municipality_id == tenant.municipality.pk
    assert event.actor == tenant.city_admin
    assert tenant.city_admin.email in event.actor_label
    changes = _changes(event)
    assert changes["four_eyes"] == ("有効", "無効")
    assert changes["fee_bearer"] == (
        "当方負担（市が負担）",
        "先方負担（振込額から差し引く）",
    )
    assert changes["account_number"] == ("7654321", "0001234")
    labels = {c["field"]: c["label"] for c in event.changes}
    assert labels["four_eyes"] == "支払の承認を必須にする"
    # Saving the same values again records nothing.
    data["fee_bearer"] = "payee"
    client.post(url, data)
    assert len(_events(kind=SettingsEventKind.TREASURY_SETTINGS)) == 1


def test_treasury_settings_changed_in_the_django_admin_are_recorded(
    admin_client, admin_user, tenant
):
    with scopes_disabled():
        settings_row = make_settings(tenant.municipality)
    url = reverse("admin:municipality_treasurysettings_change", args=[settings_row.pk])
    response = admin_client.post(url, _settings_data(fee_bearer="payer"))
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = _events(kind=SettingsEventKind.TREASURY_SETTINGS)
    assert (event.actor, event.municipality_id) == (admin_user, tenant.municipality.pk)
    assert _changes(event)["four_eyes"] == ("無効", "有効")
    # Deleting them is recorded with what they were.
    delete = reverse(
        "admin:municipality_treasurysettings_delete", args=[settings_row.pk]
    )
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    deleted = _events(kind=SettingsEventKind.TREASURY_SETTINGS)[-1]
    assert deleted.action == SettingsAction.DELETED
    assert _changes(deleted)["four_eyes"] == ("有効", "")


# Payment deadline and reminders -------------------------------------------------


def _municipality_form(municipality, **values):
    fields = (
        "name",
        "name_kana",
        "local_government_code",
        "corporate_number",
        "slug",
        "postal_code",
        "address",
        "phone",
        "invitation_valid_days",
        "payment_days",
        "reminder_unopened_days",
        "reminder_escalation_days",
        "reminder_deadline_days",
    )
    data = {name: getattr(municipality, name) for name in fields}
    data["is_active"] = "on"
    data.update(values)
    return data


def test_payment_and_reminder_settings_changed_in_the_admin_are_recorded(
    admin_client, admin_user, tenant
):
    municipality = tenant.municipality
    url = reverse("admin:municipality_municipality_change", args=[municipality.pk])
    response = admin_client.post(
        url,
        _municipality_form(
            municipality, payment_days=20, reminder_unopened_days=10, phone="0994"
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Municipality.objects.get(pk=municipality.pk).payment_days == 20
    (event,) = _events(kind=SettingsEventKind.MUNICIPALITY_SETTINGS)
    assert (event.action, event.actor, event.municipality_id) == (
        SettingsAction.CHANGED,
        admin_user,
        municipality.pk,
    )
    # Only the audited settings, each before and after; the phone is not one.
    assert _changes(event) == {
        "payment_days": ("30", "20"),
        "reminder_unopened_days": ("3", "10"),
    }


# Staff roles ----------------------------------------------------------------------


def test_staff_roles_granted_changed_and_removed_in_the_admin_are_recorded(
    admin_client, admin_user, tenant
):
    user = UserFactory()
    add = reverse("admin:municipality_staffmembership_add")
    response = admin_client.post(
        add,
        {
            "user": user.pk,
            "municipality": tenant.municipality.pk,
            "role": StaffRole.DEPARTMENT,
            "departments": [tenant.department.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        membership = StaffMembership.objects.get(user=user)
    granted = _events(kind=SettingsEventKind.STAFF_ROLE)[-1]
    assert (granted.action, granted.actor, granted.subject_user) == (
        SettingsAction.CREATED,
        admin_user,
        user,
    )
    assert granted.municipality_id == tenant.municipality.pk
    assert user.email in granted.target_label
    department = f"{tenant.department.code} {tenant.department.name}"
    assert _changes(granted)["role"] == ("", "部署担当者")
    assert _changes(granted)["departments"] == ("", department)

    change = reverse("admin:municipality_staffmembership_change", args=[membership.pk])
    response = admin_client.post(
        change,
        {
            "user": user.pk,
            "municipality": tenant.municipality.pk,
            "role": StaffRole.CITY_ADMIN,
            "departments": [],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = _events(kind=SettingsEventKind.STAFF_ROLE)[-1]
    assert changed.action == SettingsAction.CHANGED
    assert _changes(changed) == {
        "role": ("部署担当者", "自治体管理者"),
        "departments": (department, ""),
    }

    delete = reverse("admin:municipality_staffmembership_delete", args=[membership.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    removed = _events(kind=SettingsEventKind.STAFF_ROLE)[-1]
    assert removed.action == SettingsAction.DELETED
    assert _changes(removed)["role"] == ("自治体管理者", "")


def _user_form(user, inline_prefix, rows, *, initial=0):
    data = {
        "email": user.email,
        "name": user.name,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-04-01",
        "date_joined_1": "09:00:00",
        "staff_memberships-TOTAL_FORMS": "0",
        "staff_memberships-INITIAL_FORMS": "0",
        "supplier_membership-TOTAL_FORMS": "0",
        "supplier_membership-INITIAL_FORMS": "0",
    }
    data[f"{inline_prefix}-TOTAL_FORMS"] = str(len(rows))
    data[f"{inline_prefix}-INITIAL_FORMS"] = str(initial)
    for index, row in enumerate(rows):
        data.update({f"{inline_prefix}-{index}-{k}": v for k, v in row.items()})
    return data


def test_a_staff_role_granted_on_the_users_admin_page_is_recorded(
    admin_client, admin_user, tenant
):
    user = UserFactory()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = admin_client.post(
        url,
        _user_form(
            user,
            "staff_memberships",
            [{"municipality": tenant.municipality.pk, "role": StaffRole.TREASURY}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (event,) = _events(kind=SettingsEventKind.STAFF_ROLE, subject_user=user)
    assert (event.action, event.actor) == (SettingsAction.CREATED, admin_user)
    assert _changes(event)["role"] == ("", "会計管理者・出納室")
    with scopes_disabled():
        membership = StaffMembership.objects.get(user=user)
    # Removed on the same page.
    response = admin_client.post(
        url,
        _user_form(
            user,
            "staff_memberships",
            [
                {
                    "id": membership.pk,
                    "user": user.pk,
                    "municipality": tenant.municipality.pk,
                    "role": StaffRole.TREASURY,
                    "DELETE": "on",
                }
            ],
            initial=1,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    removed = _events(kind=SettingsEventKind.STAFF_ROLE, subject_user=user)[-1]
    assert removed.action == SettingsAction.DELETED
    with scopes_disabled():
        assert not StaffMembership.objects.filter(user=user).exists()


def test_a_user_with_recorded_roles_cannot_be_deleted(admin_client, tenant):
    user = UserFactory()
    admin_client.post(
        reverse("admin:municipality_staffmembership_add"),
        {
            "user": user.pk,
            "municipality": tenant.municipality.pk,
            "role": StaffRole.CITY_ADMIN,
        },
    )
    # Deleting the user would remove the role without a trace.
    delete = reverse("admin:accounts_user_delete", args=[user.pk])
    response = admin_client.post(delete, {"post": "yes"})
    assert response.status_code == 200
    assert type(user).objects.filter(pk=user.pk).exists()


# Supplier roles -------------------------------------------------------------------


def test_supplier_role_changes_by_owners_are_recorded_and_shown_to_owners(
    client, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    clerk = SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK)
    _login(client, supplier_user)
    client.post(
        reverse("supplier:member_role", args=[clerk.pk]), {"role": SupplierRole.OWNER}
    )
    client.post(reverse("supplier:member_remove", args=[clerk.pk]))
    changed, removed = _events(kind=SettingsEventKind.SUPPLIER_ROLE)
    assert (changed.action, changed.actor, changed.supplier_id) == (
        SettingsAction.CHANGED,
        supplier_user,
        supplier.pk,
    )
    assert changed.municipality_id is None
    assert _changes(changed) == {"role": ("担当者", "管理者")}
    assert (removed.action, removed.subject_user) == (
        SettingsAction.DELETED,
        clerk.user,
    )
    page = client.get(reverse("supplier:members")).content.decode()
    assert "役割の変更履歴" in page
    assert "担当者 → 管理者" in page


def test_owners_do_not_see_another_suppliers_role_changes(
    client, supplier_user, other_supplier_user
):
    other = other_supplier_user.supplier_membership
    colleague = SupplierMembershipFactory(
        supplier=other.supplier, role=SupplierRole.CLERK
    )
    _login(client, other_supplier_user)
    client.post(
        reverse("supplier:member_role", args=[colleague.pk]),
        {"role": SupplierRole.OWNER},
    )
    assert len(_events(kind=SettingsEventKind.SUPPLIER_ROLE)) == 1
    client.logout()
    _login(client, supplier_user)
    page = client.get(reverse("supplier:members")).content.decode()
    assert colleague.user.email not in page
    assert "変更の記録はまだありません" in page


def test_a_member_joining_by_invitation_is_recorded(client, supplier_user):
    from tests.partners.test_members import _invitation, _signup

    supplier = supplier_user.supplier_membership.supplier
    invitation, url = _invitation(
        supplier, role=SupplierRole.CLERK, invited_by=supplier_user
    )
    _signup(client, url)
    (event,) = _events(kind=SettingsEventKind.SUPPLIER_ROLE)
    joined = SupplierMembership.objects.get(user__email=invitation.email)
    assert (event.action, event.actor, event.subject_user) == (
        SettingsAction.CREATED,
        joined.user,
        joined.user,
    )
    assert _changes(event)["role"] == ("", "担当者")


def test_supplier_roles_changed_in_the_admin_are_recorded(
    admin_client, admin_user, supplier_user
):
    membership = supplier_user.supplier_membership
    url = reverse("admin:partners_suppliermembership_change", args=[membership.pk])
    response = admin_client.post(
        url,
        {
            "user": supplier_user.pk,
            "supplier": membership.supplier_id,
            "role": SupplierRole.CLERK,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = _events(kind=SettingsEventKind.SUPPLIER_ROLE)
    assert (event.actor, event.supplier_id) == (admin_user, membership.supplier_id)
    assert _changes(event) == {"role": ("管理者", "担当者")}
    delete = reverse("admin:partners_suppliermembership_delete", args=[membership.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert _events(kind=SettingsEventKind.SUPPLIER_ROLE)[-1].action == (
        SettingsAction.DELETED
    )


def test_a_supplier_role_granted_on_the_users_admin_page_is_recorded(
    admin_client, admin_user, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    user = UserFactory()
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _user_form(
            user,
            "supplier_membership",
            [{"supplier": supplier.pk, "role": SupplierRole.OWNER}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (event,) = _events(kind=SettingsEventKind.SUPPLIER_ROLE)
    assert (event.action, event.actor, event.subject_user) == (
        SettingsAction.CREATED,
        admin_user,
        user,
    )


# The city administrators' page ---------------------------------------------------


def _audit_url(tenant):
    return reverse("city:audit_log", args=[tenant.municipality.slug])


def _some_changes(tenant, count, *, start=100, actor=None):
    with scopes_disabled():
        if start == 100:
            make_settings(tenant.municipality)
        for n in range(count):
            treasury_settings_save(
                municipality=tenant.municipality,
                values={"fee_same_bank_small": start + n, "four_eyes": n % 2 == 0},
                actor=actor or tenant.city_admin,
            )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("city_admin", 200),
        ("treasury", 404),
        ("department_staff", 404),
        ("other_city_admin", 404),
        ("supplier", 404),
    ],
)
def test_only_the_citys_admins_open_the_audit_page(
    client, tenant, other_tenant, supplier_user, who, status
):
    user = {
        "other_city_admin": other_tenant.city_admin,
        "supplier": supplier_user,
    }.get(who) or getattr(tenant, who)
    _login(client, user)
    assert client.get(_audit_url(tenant)).status_code == status


def test_the_audit_page_lists_the_citys_changes_and_no_other_citys(
    client, tenant, other_tenant
):
    _some_changes(tenant, 1)
    with scopes_disabled():
        make_settings(other_tenant.municipality)
        treasury_settings_save(
            municipality=other_tenant.municipality,
            values={"originator_name_kana": "ｷﾘｼﾏｼ"},
            actor=other_tenant.city_admin,
        )
    _login(client, tenant.city_admin)
    page = client.get(_audit_url(tenant)).content.decode()
    assert "会計の設定（変更）" in page
    assert "支払の承認を必須にする: 無効 → 有効" in page
    assert tenant.city_admin.email in page
    assert "ｷﾘｼﾏｼ" not in page
    assert other_tenant.city_admin.email not in page
    manage = client.get(reverse("city:manage", args=[tenant.municipality.slug]))
    assert _audit_url(tenant) in manage.content.decode()


def test_the_audit_page_is_paged_with_a_constant_number_of_queries(client, tenant):
    _some_changes(tenant, 3)
    _login(client, tenant.city_admin)
    with CaptureQueriesContext(db_connection) as few:
        assert client.get(_audit_url(tenant)).status_code == 200
    more = 60
    _some_changes(tenant, more, start=500, actor=tenant.treasury)
    with CaptureQueriesContext(db_connection) as many:
        response = client.get(_audit_url(tenant))
    assert len(many) == len(few)
    assert len(response.context["events"]) == 50
    page2 = client.get(_audit_url(tenant), {"page": 2})
    # 3 changes and 60 more (the settings were made without the service).
    assert len(page2.context["events"]) == 3 + more - 50


# The chain ---------------------------------------------------------------------


@pytest.fixture
def mixed_chain(tenant, supplier_user, django_capture_on_commit_callbacks):
    """Invoice events and settings events interleaved in one chain."""
    from partners.models import Connection

    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        make_settings(tenant.municipality)
        with django_capture_on_commit_callbacks(execute=True):
            make_invoice(connection=connection, actor=supplier_user)
        treasury_settings_save(
            municipality=tenant.municipality,
            values={"four_eyes": True},
            actor=tenant.city_admin,
        )
        with django_capture_on_commit_callbacks(execute=True):
            make_invoice(connection=connection, actor=supplier_user)
        treasury_settings_save(
            municipality=tenant.municipality,
            values={"four_eyes": False},
            actor=tenant.city_admin,
        )
    return _events()


def _tamper(sql, params):
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_audit_chain_checks_settings_events_too(mixed_chain, capsys):
    assert len(mixed_chain) == 2
    call_command("verify_audit_chain")
    assert "改ざんはありません" in capsys.readouterr().out


def test_verify_audit_chain_names_an_altered_settings_event(mixed_chain):
    first = mixed_chain[0]
    _tamper(
        "UPDATE invoices_settingsevent SET changes = %s WHERE id = %s",
        ['[{"field": "four_eyes", "label": "x", "before": "", "after": ""}]', first.pk],
    )
    with pytest.raises(CommandError, match=f"設定・権限の履歴 ID {first.pk}"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_a_removed_settings_event(mixed_chain):
    # The invoice events after it no longer link to their predecessor.
    _tamper("DELETE FROM invoices_settingsevent WHERE id = %s", [mixed_chain[0].pk])
    with pytest.raises(CommandError, match="直前のハッシュが一致しません"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_the_last_settings_event_removed(mixed_chain):
    _tamper("DELETE FROM invoices_settingsevent WHERE id = %s", [mixed_chain[-1].pk])
    with pytest.raises(CommandError, match="最後の履歴が削除"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_a_settings_event_moved_to_another_city(
    mixed_chain, other_tenant
):
    _tamper(
        "UPDATE invoices_settingsevent SET municipality_id = %s WHERE id = %s",
        [other_tenant.municipality.pk, mixed_chain[0].pk],
    )
    with pytest.raises(CommandError, match="内容がハッシュと一致しません"):
        call_command("verify_audit_chain")


def test_bulk_deleting_roles_in_the_admin_records_each(
    admin_client, admin_user, tenant
):
    with scopes_disabled():
        memberships = list(
            StaffMembership.objects.filter(municipality=tenant.municipality)
        )
    response = admin_client.post(
        reverse("admin:municipality_staffmembership_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [m.pk for m in memberships],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    removed = _events(kind=SettingsEventKind.STAFF_ROLE)
    assert {e.subject_user_id for e in removed} == {m.user_id for m in memberships}
    assert {e.action for e in removed} == {SettingsAction.DELETED}


def test_platform_admins_read_every_event_in_the_admin(
    admin_client, supplier_user, tenant
):
    supplier = supplier_user.supplier_membership.supplier
    clerk = SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK)
    admin_client.post(
        reverse("admin:partners_suppliermembership_change", args=[clerk.pk]),
        {"user": clerk.user_id, "supplier": supplier.pk, "role": SupplierRole.OWNER},
    )
    page = admin_client.get(reverse("admin:municipality_settingsevent_changelist"))
    assert page.status_code == 200
    assert "役割: 担当者 → 管理者" in page.content.decode()
    (event,) = _events()
    change = reverse("admin:municipality_settingsevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {}).status_code == 403


def test_the_record_is_written_in_japanese_whatever_the_actor_reads(client, tenant):
    """The audit record is the city's permanent record: an administrator
    reading English still writes labels and values in the source language."""
    with scopes_disabled():
        make_settings(tenant.municipality, four_eyes=True)
    tenant.city_admin.language = "en"
    tenant.city_admin.save(update_fields=["language"])
    _login(client, tenant.city_admin)
    data = _settings_data()
    del data["four_eyes"]
    response = client.post(
        reverse("city:treasury_settings", args=[tenant.municipality.slug]), data
    )
    assert response.status_code == 302
    (event,) = _events(kind=SettingsEventKind.TREASURY_SETTINGS)
    assert _changes(event)["four_eyes"] == ("有効", "無効")
    labels = {c["field"]: c["label"] for c in event.changes}
    assert labels["four_eyes"] == "支払の承認を必須にする"
