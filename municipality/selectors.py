"""Reads of city data. Each takes the ``CityAccess`` (or municipality) it
reads for and filters by it explicitly; the django-scopes scope is the
safety net behind these filters, not a replacement for them."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django_scopes import scopes_disabled

from accounts.models import User
from accounts.tokens import token_digest
from municipality.models import (
    BudgetCode,
    Department,
    Municipality,
    SettingsEvent,
    StaffInvitation,
    StaffMembership,
    StaffRole,
)
from municipality.tenancy import CityAccess


def department_list_for_access(*, access: CityAccess) -> QuerySet[Department]:
    """Departments the user handles (all of them for treasury and city
    admins), with the number of active suppliers of each."""
    departments = Department.objects.filter(municipality=access.municipality)
    if not access.sees_all_departments:
        departments = departments.filter(pk__in=access.department_ids)
    return (
        departments.select_related("parent")
        .annotate(
            supplier_count=Count("connections", filter=Q(connections__is_active=True))
        )
        .order_by("code")
    )


def department_get_for_access(*, access: CityAccess, code: str) -> Department:
    """One department the user may see, or 404."""
    return get_object_or_404(department_list_for_access(access=access), code=code)


def staff_membership_list(*, municipality: Municipality) -> QuerySet[StaffMembership]:
    """Every staff role in the municipality, with its departments."""
    return (
        StaffMembership.objects.filter(municipality=municipality)
        .select_related("user")
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("code"))
        )
        .order_by("user__email", "role")
    )


def staff_for_role(*, municipality: Municipality, role: str) -> QuerySet[User]:
    """The users who hold ``role`` in the municipality (mail recipients)."""
    return User.objects.filter(
        staff_memberships__municipality=municipality, staff_memberships__role=role
    ).distinct()


def staff_for_department(*, department: Department) -> QuerySet[User]:
    """The department staff who handle ``department`` (mail recipients)."""
    return User.objects.filter(
        staff_memberships__municipality=department.municipality_id,
        staff_memberships__role=StaffRole.DEPARTMENT,
        staff_memberships__departments=department,
    ).distinct()


def staff_invitation_for_token(*, token: str) -> StaffInvitation | None:
    """The staff invitation an emailed link names, in any municipality:
    the token is the only key, so the lookup runs outside a scope."""
    with scopes_disabled():
        return (
            StaffInvitation.objects.select_related("municipality", "invited_by")
            .filter(token_digest=token_digest(token))
            .first()
        )


def settings_event_list_for_municipality(
    *, municipality: Municipality
) -> QuerySet[SettingsEvent]:
    """The municipality's settings and staff-role changes, newest first
    (for its city administrators). Each row carries what it shows, so the
    page needs no further queries."""
    return SettingsEvent.objects.filter(municipality=municipality).order_by("-pk")


# Budget codes (予算科目) ----------------------------------------------------


def budget_code_list(*, municipality: Municipality) -> QuerySet[BudgetCode]:
    return BudgetCode.objects.filter(municipality=municipality)


def budget_code_fiscal_years(*, municipality: Municipality) -> list[int]:
    return sorted(
        set(
            budget_code_list(municipality=municipality).values_list(
                "fiscal_year", flat=True
            )
        ),
        reverse=True,
    )


def budget_codes_choosable(
    *, municipality: Municipality, fiscal_year: int
) -> QuerySet[BudgetCode]:
    """The codes an invoice or order of ``fiscal_year`` may name: the
    municipality's active codes of that year."""
    return budget_code_list(municipality=municipality).filter(
        fiscal_year=fiscal_year, is_active=True
    )
