"""City administrators run staff and departments (issue 13.8): staff
invitations, roles and deactivation, departments added, renamed,
re-parented and deactivated, and the department CSV, each change a
settings event; nothing is half-saved."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from accounts.invitations import InvitationStatus, InvitationStep
from accounts.tokens import token_digest
from municipality.departments import (
    department_activate,
    department_add,
    department_deactivate,
    department_update,
)
from municipality.departments_csv import (
    DepartmentCsvError,
    department_csv_export,
    department_csv_import,
)
from municipality.models import (
    Department,
    SettingsAction,
    SettingsEvent,
    SettingsEventKind,
    StaffInvitation,
    StaffMembership,
    StaffRole,
)
from municipality.selectors import staff_invitation_for_token
from municipality.staff import (
    StaffInvitationError,
    staff_deactivate,
    staff_invitation_accept,
    staff_invitation_accept_new_user,
    staff_invitation_create,
    staff_invitation_revoke,
    staff_invitation_step,
    staff_roles_set,
)
from tests.factories import DepartmentFactory, StaffMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(kind) -> list[SettingsEvent]:
    with scopes_disabled():
        return list(SettingsEvent.objects.filter(kind=kind).order_by("pk"))


def _changes(event) -> dict[str, tuple[str, str]]:
    return {c["field"]: (c["before"], c["after"]) for c in event.changes}


def _roles(user, municipality) -> dict[str, set[str]]:
    with scopes_disabled():
        return {
            m.role: {d.code for d in m.departments.all()}
            for m in StaffMembership.objects.filter(
                user=user, municipality=municipality
            )
        }


def _token_from_mail() -> str:
    (match,) = re.findall(r"/invitations/staff/([^/\s]+)/", mail.outbox[-1].body)
    return match


# Invitations -------------------------------------------------------------------


def test_an_invitation_mails_a_link_and_accepting_creates_the_account_and_role(
    tenant, django_capture_on_commit_callbacks
):
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        invitation = staff_invitation_create(
            municipality=tenant.municipality,
            email="New.Staff@Example.jp",
            role=StaffRole.DEPARTMENT,
            departments=[tenant.department],
            actor=tenant.city_admin,
        )
    assert invitation.email == "new.staff@example.jp"
    assert mail.outbox[-1].to == ["new.staff@example.jp"]
    token = _token_from_mail()
    assert invitation.token_digest == token_digest(token)
    found = staff_invitation_for_token(token=token)
    assert found == invitation
    assert staff_invitation_step(invitation=found, user=AnonymousUser()) == "signup"
    with scopes_disabled():
        user = staff_invitation_accept_new_user(
            invitation=found, name="新人 職員", password="a-long-Passw0rd!"
        )
        invitation.refresh_from_db()
    assert _roles(user, tenant.municipality) == {
        StaffRole.DEPARTMENT: {tenant.department.code}
    }
    assert invitation.status == InvitationStatus.ACCEPTED
    (sent,) = _events(SettingsEventKind.STAFF_INVITATION)
    assert sent.actor == tenant.city_admin
    assert _changes(sent)["email"] == ("", "new.staff@example.jp")
    granted = _events(SettingsEventKind.STAFF_ROLE)[-1]
    assert granted.action == SettingsAction.CREATED
    assert granted.subject_user == user
    # The link is single-use.
    with scopes_disabled(), pytest.raises(StaffInvitationError) as error:
        staff_invitation_accept(invitation=invitation, user=user)
    assert error.value.step == InvitationStep.JOINED


def test_an_existing_account_accepts_with_its_login_and_only_its_own(tenant):
    existing = UserFactory(email="moving@example.jp")
    other = UserFactory()
    with scopes_disabled():
        invitation = staff_invitation_create(
            municipality=tenant.municipality,
            email="moving@example.jp",
            role=StaffRole.TREASURY,
            actor=tenant.city_admin,
        )
        assert staff_invitation_step(invitation=invitation, user=AnonymousUser()) == (
            InvitationStep.LOGIN
        )
        with pytest.raises(StaffInvitationError) as error:
            staff_invitation_accept(invitation=invitation, user=other)
        assert error.value.step == InvitationStep.WRONG_ACCOUNT
        staff_invitation_accept(invitation=invitation, user=existing)
    assert _roles(existing, tenant.municipality) == {StaffRole.TREASURY: set()}


def test_an_invitation_needs_departments_of_its_own_city_for_department_staff(
    tenant, other_tenant
):
    with scopes_disabled():
        with pytest.raises(ValidationError, match="担当部署を1つ以上"):
            staff_invitation_create(
                municipality=tenant.municipality,
                email="a@example.jp",
                role=StaffRole.DEPARTMENT,
                actor=tenant.city_admin,
            )
        with pytest.raises(ValidationError, match="同じ自治体の部署"):
            staff_invitation_create(
                municipality=tenant.municipality,
                email="a@example.jp",
                role=StaffRole.DEPARTMENT,
                departments=[other_tenant.department],
                actor=tenant.city_admin,
            )
        with pytest.raises(ValidationError, match="すでにこの役割の職員"):
            staff_invitation_create(
                municipality=tenant.municipality,
                email=tenant.treasury.email.upper(),
                role=StaffRole.TREASURY,
                actor=tenant.city_admin,
            )
        assert not StaffInvitation.objects.exists()
    assert mail.outbox == []


def test_a_revoked_invitation_cannot_be_accepted(tenant):
    with scopes_disabled():
        invitation = staff_invitation_create(
            municipality=tenant.municipality,
            email="late@example.jp",
            role=StaffRole.TREASURY,
            actor=tenant.city_admin,
        )
        staff_invitation_revoke(invitation=invitation, actor=tenant.city_admin)
        with pytest.raises(StaffInvitationError) as error:
            staff_invitation_accept_new_user(
                invitation=invitation, name="x", password="a-long-Passw0rd!"
            )
    assert error.value.step == InvitationStep.REVOKED
    revoked = _events(SettingsEventKind.STAFF_INVITATION)[-1]
    assert _changes(revoked)["status"] == ("送信済み", "取消済み")


# Roles and deactivation ----------------------------------------------------------


def test_roles_are_granted_changed_and_removed_with_a_record_each(tenant):
    user = tenant.department_staff
    with scopes_disabled():
        staff_roles_set(
            municipality=tenant.municipality,
            user=user,
            roles={
                StaffRole.DEPARTMENT: [tenant.other_department],
                StaffRole.TREASURY: [],
            },
            actor=tenant.city_admin,
        )
    assert _roles(user, tenant.municipality) == {
        StaffRole.DEPARTMENT: {tenant.other_department.code},
        StaffRole.TREASURY: set(),
    }
    with scopes_disabled():
        staff_roles_set(
            municipality=tenant.municipality,
            user=user,
            roles={StaffRole.TREASURY: []},
            actor=tenant.city_admin,
        )
    assert _roles(user, tenant.municipality) == {StaffRole.TREASURY: set()}
    actions = [e.action for e in _events(SettingsEventKind.STAFF_ROLE)]
    # Departments changed, treasury granted, then department staff removed.
    assert actions[-3:] == [
        SettingsAction.CHANGED,
        SettingsAction.CREATED,
        SettingsAction.DELETED,
    ]


def test_the_city_keeps_an_administrator_and_nobody_removes_their_own(tenant):
    with scopes_disabled():
        with pytest.raises(ValidationError, match="自分の自治体管理者"):
            staff_roles_set(
                municipality=tenant.municipality,
                user=tenant.city_admin,
                roles={StaffRole.TREASURY: []},
                actor=tenant.city_admin,
            )
        other_admin = StaffMembershipFactory(
            municipality=tenant.municipality, role=StaffRole.CITY_ADMIN
        ).user
        StaffMembership.objects.filter(user=tenant.city_admin).delete()
        with pytest.raises(ValidationError, match="自治体管理者がいなくなる"):
            staff_deactivate(
                municipality=tenant.municipality,
                user=other_admin,
                actor=tenant.treasury,
            )
        with pytest.raises(ValidationError, match="役割を1つ以上"):
            staff_roles_set(
                municipality=tenant.municipality,
                user=tenant.treasury,
                roles={},
                actor=other_admin,
            )
    assert _roles(other_admin, tenant.municipality) == {StaffRole.CITY_ADMIN: set()}


def test_deactivation_ends_every_role_here_and_the_sessions(tenant, client):
    user = tenant.department_staff
    with scopes_disabled():
        StaffMembershipFactory(
            user=user, municipality=tenant.municipality, role=StaffRole.TREASURY
        )
    client.force_login(user)
    with scopes_disabled():
        ended = staff_deactivate(
            municipality=tenant.municipality, user=user, actor=tenant.city_admin
        )
    assert ended == 2
    assert _roles(user, tenant.municipality) == {}
    assert client.session.session_key is None or not client.session.get("_auth_user_id")
    deleted = [
        e
        for e in _events(SettingsEventKind.STAFF_ROLE)
        if e.action == SettingsAction.DELETED
    ]
    assert {e.subject_user_id for e in deleted} == {user.pk}
    assert len(deleted) == 2


# Departments ---------------------------------------------------------------------


def test_a_department_is_added_renamed_and_re_parented_with_records(tenant):
    with scopes_disabled():
        school = department_add(
            municipality=tenant.municipality,
            code="900",
            name="第一小学校",
            parent=None,
            actor=tenant.city_admin,
        )
        department_update(
            department=school,
            name="第一小学校（事務室）",
            parent=tenant.department,
            actor=tenant.city_admin,
        )
    created, changed = _events(SettingsEventKind.DEPARTMENT)
    assert created.action == SettingsAction.CREATED
    assert _changes(changed) == {
        "name": ("第一小学校", "第一小学校（事務室）"),
        "parent": ("", f"{tenant.department.code} {tenant.department.name}"),
    }


def test_a_department_cannot_become_its_own_ancestor(tenant):
    with scopes_disabled():
        child = DepartmentFactory(
            municipality=tenant.municipality, parent=tenant.department
        )
        with pytest.raises(ValidationError, match="自分自身に戻ります"):
            department_update(
                department=tenant.department,
                name=tenant.department.name,
                parent=child,
                actor=tenant.city_admin,
            )
        tenant.department.refresh_from_db()
    assert tenant.department.parent is None


def test_deactivating_with_open_invoices_needs_confirmation_and_is_recorded(tenant):
    with scopes_disabled():
        with pytest.raises(ValidationError, match="未処理の請求書が2件"):
            department_deactivate(
                department=tenant.department,
                open_invoices=2,
                confirmed=False,
                actor=tenant.city_admin,
            )
        tenant.department.refresh_from_db()
        assert tenant.department.is_active
        department_deactivate(
            department=tenant.department,
            open_invoices=2,
            confirmed=True,
            actor=tenant.city_admin,
        )
        tenant.department.refresh_from_db()
        assert not tenant.department.is_active
        department_activate(department=tenant.department, actor=tenant.city_admin)
    off, on = _events(SettingsEventKind.DEPARTMENT)
    assert _changes(off)["is_active"] == ("有効", "無効")
    assert _changes(off)["open_invoices"] == ("", "2件（確認のうえ無効化）")
    assert _changes(on)["is_active"] == ("無効", "有効")


# Department CSV --------------------------------------------------------------------


def _csv(*lines, encoding="utf-8-sig") -> bytes:
    return "\r\n".join(["部署コード,部署名,上位部署コード,有効", *lines]).encode(
        encoding
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932", "utf-8"])
def test_the_csv_adds_and_changes_departments_in_any_accepted_encoding(
    tenant, encoding
):
    data = _csv(
        f"{tenant.department.code},財政課（改）,,1",
        f"901,髙山分室,{tenant.department.code},1",
        f"{tenant.other_department.code},{tenant.other_department.name},,0",
        encoding=encoding,
    )
    with scopes_disabled():
        result = department_csv_import(
            municipality=tenant.municipality,
            data=data,
            open_invoices={},
            actor=tenant.city_admin,
        )
        branch = Department.objects.get(municipality=tenant.municipality, code="901")
        tenant.department.refresh_from_db()
        tenant.other_department.refresh_from_db()
    assert (result.created, result.changed, result.unchanged) == (1, 2, 0)
    assert branch.name == "髙山分室"
    assert branch.parent == tenant.department
    assert tenant.department.name == "財政課（改）"
    assert not tenant.other_department.is_active
    assert len(_events(SettingsEventKind.DEPARTMENT)) == 3


def test_the_csv_lists_every_problem_with_its_row_and_saves_nothing(tenant):
    data = _csv(
        "901,,,1",  # row 2: no name
        "902,分室,999,1",  # row 3: unknown parent
        "903,課A,904,1",  # rows 4 and 5: a cycle
        "904,課B,903,1",
        "902,重複,,1",  # row 6: duplicate code
        "905,課C,,はい",  # row 7: bad 有効
    )
    with scopes_disabled(), pytest.raises(DepartmentCsvError) as error:
        department_csv_import(
            municipality=tenant.municipality,
            data=data,
            open_invoices={},
            actor=tenant.city_admin,
        )
    problems = [(p.row, p.column) for p in error.value.problems]
    assert problems == [
        (2, "部署名"),
        (3, "上位部署コード"),
        (4, "上位部署コード"),
        (5, "上位部署コード"),
        (6, "部署コード"),
        (7, "有効"),
    ]
    assert error.value.problems[0].message == "2行目: 部署名を入力してください。"
    with scopes_disabled():
        assert not Department.objects.filter(code__startswith="90").exists()
    assert _events(SettingsEventKind.DEPARTMENT) == []


def test_the_csv_cannot_deactivate_a_department_with_open_invoices(tenant):
    data = _csv(f"{tenant.department.code},{tenant.department.name},,0")
    with scopes_disabled(), pytest.raises(DepartmentCsvError) as error:
        department_csv_import(
            municipality=tenant.municipality,
            data=data,
            open_invoices={tenant.department.pk: 3},
            actor=tenant.city_admin,
        )
    (problem,) = error.value.problems
    assert "未処理の請求書が3件" in problem.message
    assert problem.row == 2


def test_the_csv_refuses_a_file_without_the_headers(tenant):
    with scopes_disabled(), pytest.raises(DepartmentCsvError) as error:
        department_csv_import(
            municipality=tenant.municipality,
            data=b"code,name\r\n1,x",
            open_invoices={},
            actor=tenant.city_admin,
        )
    assert "「部署コード」「部署名」がありません" in error.value.problems[0].message


def test_the_export_reads_back_unchanged_and_escapes_formulas(tenant):
    with scopes_disabled():
        DepartmentFactory(municipality=tenant.municipality, code="950", name="=1+1")
        data = department_csv_export(municipality=tenant.municipality)
        assert data.startswith(b"\xef\xbb\xbf")
        assert "'=1+1" in data.decode("utf-8-sig")
        result = department_csv_import(
            municipality=tenant.municipality,
            data=data.replace(b"'=1+1", b"=1+1"),
            open_invoices={},
            actor=tenant.city_admin,
        )
    assert result.created == result.changed == 0
