"""Who may see which municipality's data: the one tenancy mechanism.

``TenantScopeMiddleware`` (``config.tenancy``) resolves the URL,
asks this module what the user is granted, answers 404 when nothing is, and
runs the view inside a django-scopes ``scope``. Views and selectors then use
``request.city`` (staff) or ``request.supplier_access`` (suppliers) to narrow
further, e.g. to a staff member's departments.
"""

from dataclasses import dataclass

from django.http import Http404
from django_scopes import scopes_disabled

from municipality.models import Department, Municipality, StaffMembership, StaffRole


@dataclass(frozen=True)
class CityAccess:
    """What one user is granted in one municipality."""

    municipality: Municipality
    roles: frozenset[str]
    department_ids: frozenset[int]

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def sees_all_departments(self) -> bool:
        return self.has_role(StaffRole.CITY_ADMIN, StaffRole.TREASURY)

    def can_see_department(self, department: Department) -> bool:
        return department.municipality_id == self.municipality.pk and (
            self.sees_all_departments or department.pk in self.department_ids
        )

    def require_role(self, *roles: str) -> None:
        """Raise Http404 unless the user holds one of ``roles`` here."""
        if not self.has_role(*roles):
            raise Http404


def city_access_for(user, municipality_slug: str) -> CityAccess | None:
    """The user's access to the municipality at ``municipality_slug``, or
    ``None`` when they hold no role there (or it does not exist)."""
    if not user.is_authenticated:
        return None
    municipality = Municipality.objects.filter(
        slug=municipality_slug, is_active=True
    ).first()
    if municipality is None:
        return None
    with scopes_disabled():
        rows = list(
            StaffMembership.objects.filter(
                user=user, municipality=municipality
            ).values_list("role", "departments__id")
        )
    if not rows:
        return None
    return CityAccess(
        municipality=municipality,
        roles=frozenset(role for role, _ in rows),
        department_ids=frozenset(
            dept_id
            for role, dept_id in rows
            if role == StaffRole.DEPARTMENT and dept_id is not None
        ),
    )
