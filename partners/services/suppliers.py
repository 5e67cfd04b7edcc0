"""Writes for suppliers, their members and their connections.

Every supplier role granted, changed or removed is a settings event
(設定・権限の変更履歴) in the audit chain, with the actor and the role
before and after; the supplier's owners see them on the members page,
platform admins in the Django admin.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from municipality.audit import field_changes, field_values, settings_event_append
from municipality.models import Department, SettingsAction, SettingsEventKind
from partners.models import Connection, Supplier, SupplierMembership, SupplierRole

_ROLE_FIELDS = ("supplier", "role")


def _user_label(user: User) -> str:
    return f"{user.name} <{user.email}>" if user.name else user.email


def supplier_role_record(
    *,
    membership: SupplierMembership,
    action: str,
    before: dict,
    actor: User | None,
) -> None:
    """Record a supplier role as it is now against ``before`` (its
    ``supplier_role_values`` before the change; empty for a new role). For
    ``DELETED``, ``membership`` is the role being removed."""
    after = {} if action == SettingsAction.DELETED else supplier_role_values(membership)
    settings_event_append(
        kind=SettingsEventKind.SUPPLIER_ROLE,
        action=action,
        target_label=_user_label(membership.user),
        changes=field_changes(model=SupplierMembership, before=before, after=after),
        actor=actor,
        supplier_id=membership.supplier_id,
        subject_user_id=membership.user_id,
    )


def supplier_role_values(membership: SupplierMembership) -> dict[str, str]:
    return field_values(membership, _ROLE_FIELDS)


@transaction.atomic
def supplier_member_add(
    *, supplier: Supplier, user: User, role: SupplierRole, actor: User | None
) -> SupplierMembership:
    """Make ``user`` a member of ``supplier`` with ``role`` (recorded when
    it is new or changed).

    Raises ``ValidationError`` if the user already belongs to another
    supplier (one user, one supplier).
    """
    membership = (
        SupplierMembership.objects.select_for_update().filter(user=user).first()
    )
    if membership is not None and membership.supplier_id != supplier.pk:
        raise ValidationError(
            gettext("この利用者はすでに別の取引先（%(name)s）に所属しています。"),
            params={"name": membership.supplier},
        )
    before = {}
    if membership is None:
        membership = SupplierMembership(user=user, supplier=supplier)
    else:
        before = supplier_role_values(membership)
    membership.role = role
    membership.full_clean()
    membership.save()
    supplier_role_record(
        membership=membership,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        before=before,
        actor=actor,
    )
    return membership


@transaction.atomic
def supplier_membership_save(
    *, membership: SupplierMembership, actor: User
) -> SupplierMembership:
    """Save a supplier role as edited (Django admin): new, or another role.
    Moving it to another user or supplier is recorded as the old role
    removed and the new one granted.

    Unlike the owners' own pages, the platform admin may leave a supplier
    without an owner (e.g. to hand it over); the event shows it.
    """
    stored = None
    if membership.pk is not None:
        stored = (
            SupplierMembership.objects.select_for_update(of=("self",))
            .select_related("user", "supplier")
            .get(pk=membership.pk)
        )
    before = {}
    if stored is not None:
        before = supplier_role_values(stored)
        if (stored.user_id, stored.supplier_id) != (
            membership.user_id,
            membership.supplier_id,
        ):
            supplier_role_record(
                membership=stored,
                action=SettingsAction.DELETED,
                before=before,
                actor=actor,
            )
            before = {}
    membership.full_clean()
    membership.save()
    supplier_role_record(
        membership=membership,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        before=before,
        actor=actor,
    )
    return membership


@transaction.atomic
def supplier_membership_delete(*, membership: SupplierMembership, actor: User) -> None:
    """Take a member out of the supplier, recording the role removed. No
    owner check: ``member_remove`` keeps the last owner."""
    membership = (
        SupplierMembership.objects.select_for_update(of=("self",))
        .select_related("user", "supplier")
        .get(pk=membership.pk)
    )
    supplier_role_record(
        membership=membership,
        action=SettingsAction.DELETED,
        before=supplier_role_values(membership),
        actor=actor,
    )
    membership.delete()


@transaction.atomic
def connection_create(
    *, supplier: Supplier, department: Department, payee_code: str = ""
) -> Connection:
    """Register ``supplier`` with ``department`` (支払先マスタ).

    Idempotent for the pair: an existing connection is returned (and
    reactivated) rather than duplicated.
    """
    connection, created = Connection.objects.get_or_create(
        supplier=supplier,
        department=department,
        defaults={"municipality": department.municipality, "payee_code": payee_code},
    )
    if not created and not connection.is_active:
        connection.is_active = True
        connection.save(update_fields=["is_active", "updated_at"])
    return connection
