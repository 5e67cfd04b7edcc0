"""Writes for the tenant core: departments and staff roles."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from municipality.models import Department, Municipality, StaffMembership, StaffRole


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


@transaction.atomic
def staff_membership_grant(
    *,
    user,
    municipality: Municipality,
    role: StaffRole,
    departments: Iterable[Department] = (),
) -> StaffMembership:
    """Give ``user`` a role in ``municipality``; for department staff, add
    ``departments`` to the ones they already handle.

    Raises ``ValidationError`` when a department belongs to another
    municipality or department staff would have no department.
    """
    departments = list(departments)
    if any(d.municipality_id != municipality.pk for d in departments):
        raise ValidationError("担当部署には同じ自治体の部署を選んでください。")
    membership, _ = StaffMembership.objects.get_or_create(
        user=user, municipality=municipality, role=role
    )
    if role == StaffRole.DEPARTMENT:
        if not departments and not membership.departments.exists():
            raise ValidationError("部署担当者には担当部署を1つ以上選んでください。")
        membership.departments.add(*departments)
    return membership
