"""Writes for the tenant core: the municipality's deadline and reminder
settings, departments and staff roles.

Settings that weaken or strengthen a control and every staff role granted,
changed or removed are recorded as settings events (設定・権限の変更履歴)
in the audit chain, with the actor and each field's value before and after;
the Django admin saves through these services too.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from municipality.audit import field_changes, field_values, settings_event_append
from municipality.models import (
    Department,
    Municipality,
    SettingsAction,
    SettingsEventKind,
    StaffMembership,
    StaffRole,
)

# Municipality fields whose changes are audited: the payment deadline and
# the reminders (支払遅延防止法,催促), and how long invitation links last.
MUNICIPALITY_AUDITED_FIELDS = (
    "payment_days",
    "reminder_unopened_days",
    "reminder_escalation_days",
    "reminder_deadline_days",
    "invitation_valid_days",
)
DEPARTMENTS_LABEL = gettext_lazy("担当部署")


@transaction.atomic
def municipality_save(*, municipality: Municipality, actor: User) -> Municipality:
    """Save a municipality as edited (new or changed), recording a settings
    event when a deadline or reminder setting is set or changed.

    Raises ``ValidationError`` for invalid values.
    """
    before = {}
    if municipality.pk is not None:
        # Locked: batch creation and treasury settings lock the same row.
        stored = Municipality.objects.select_for_update().get(pk=municipality.pk)
        before = field_values(stored, MUNICIPALITY_AUDITED_FIELDS)
    municipality.full_clean()
    municipality.save()
    settings_event_append(
        kind=SettingsEventKind.MUNICIPALITY_SETTINGS,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        target_label=municipality.name,
        changes=field_changes(
            model=Municipality,
            before=before,
            after=field_values(municipality, MUNICIPALITY_AUDITED_FIELDS),
        ),
        actor=actor,
        municipality_id=municipality.pk,
    )
    return municipality


@transaction.atomic
def department_create(
    *,
    municipality: Municipality,
    code: str,
    name: str,
    parent: Department | None = None,
    is_active: bool = True,
) -> Department:
    """Add a department (or a sub-unit under ``parent``) to a municipality.

    Raises ``ValidationError`` for a duplicate code or a parent of another
    municipality.
    """
    department = Department(
        municipality=municipality,
        code=code,
        name=name,
        parent=parent,
        is_active=is_active,
    )
    department.full_clean()
    department.save()
    return department


def _user_label(user: User) -> str:
    return f"{user.name} <{user.email}>" if user.name else user.email


def _staff_values(
    membership: StaffMembership, departments: Iterable[Department]
) -> dict[str, str]:
    values = field_values(membership, ("municipality", "role"))
    values["departments"] = "、".join(sorted(f"{d.code} {d.name}" for d in departments))
    return values


def _staff_record(
    *,
    membership: StaffMembership,
    action: str,
    before: dict,
    after: dict,
    actor: User | None,
) -> None:
    settings_event_append(
        kind=SettingsEventKind.STAFF_ROLE,
        action=action,
        target_label=_user_label(membership.user),
        changes=field_changes(
            model=StaffMembership,
            before=before,
            after=after,
            labels={"departments": DEPARTMENTS_LABEL},
        ),
        actor=actor,
        municipality_id=membership.municipality_id,
        subject_user_id=membership.user_id,
    )


def _staff_check(
    *, municipality_id: int, role: str, departments: list[Department]
) -> None:
    if any(d.municipality_id != municipality_id for d in departments):
        raise ValidationError(gettext("担当部署には同じ自治体の部署を選んでください。"))
    if role == StaffRole.DEPARTMENT and not departments:
        raise ValidationError(
            gettext("部署担当者には担当部署を1つ以上選んでください。")
        )


@transaction.atomic
def staff_membership_grant(
    *,
    user: User,
    municipality: Municipality,
    role: StaffRole,
    departments: Iterable[Department] = (),
    actor: User | None,
) -> StaffMembership:
    """Give ``user`` a role in ``municipality``; for department staff, add
    ``departments`` to the ones they already handle. Recorded as a settings
    event when anything changed.

    Raises ``ValidationError`` when a department belongs to another
    municipality or department staff would have no department.
    """
    departments = list(departments)
    if any(d.municipality_id != municipality.pk for d in departments):
        raise ValidationError(gettext("担当部署には同じ自治体の部署を選んでください。"))
    membership, created = StaffMembership.objects.get_or_create(
        user=user, municipality=municipality, role=role
    )
    current = [] if created else list(membership.departments.all())
    before = {} if created else _staff_values(membership, current)
    if role == StaffRole.DEPARTMENT:
        if not departments and not current:
            raise ValidationError(
                gettext("部署担当者には担当部署を1つ以上選んでください。")
            )
        membership.departments.add(*departments)
    after_departments = {d.pk: d for d in [*current, *departments]}.values()
    _staff_record(
        membership=membership,
        action=SettingsAction.CREATED if created else SettingsAction.CHANGED,
        before=before,
        after=_staff_values(membership, after_departments),
        actor=actor,
    )
    return membership


@transaction.atomic
def staff_membership_save(
    *, membership: StaffMembership, departments: Iterable[Department], actor: User
) -> StaffMembership:
    """Save a staff role as edited (Django admin): new, or with another
    role or other departments. Moving it to another user or municipality
    is recorded as the old role removed and the new one granted.

    Raises ``ValidationError`` as ``staff_membership_grant`` does.
    """
    departments = list(departments)
    _staff_check(
        municipality_id=membership.municipality_id,
        role=membership.role,
        departments=departments,
    )
    stored = None
    if membership.pk is not None:
        stored = (
            StaffMembership.objects.select_for_update(of=("self",))
            .select_related("user", "municipality")
            .get(pk=membership.pk)
        )
    before = {}
    if stored is not None:
        before = _staff_values(stored, stored.departments.all())
        moved = (stored.user_id, stored.municipality_id) != (
            membership.user_id,
            membership.municipality_id,
        )
        if moved:
            _staff_record(
                membership=stored,
                action=SettingsAction.DELETED,
                before=before,
                after={},
                actor=actor,
            )
            before = {}
    membership.full_clean()
    membership.save()
    membership.departments.set(departments)
    _staff_record(
        membership=membership,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        before=before,
        after=_staff_values(membership, departments),
        actor=actor,
    )
    return membership


@transaction.atomic
def staff_membership_revoke(*, membership: StaffMembership, actor: User) -> None:
    """Take a staff role away; recorded with what it was."""
    membership = (
        StaffMembership.objects.select_for_update(of=("self",))
        .select_related("user", "municipality")
        .get(pk=membership.pk)
    )
    _staff_record(
        membership=membership,
        action=SettingsAction.DELETED,
        before=_staff_values(membership, membership.departments.all()),
        after={},
        actor=actor,
    )
    membership.delete()
