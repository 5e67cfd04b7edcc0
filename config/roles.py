"""The roles a user can act in, and where each one starts.

A role is one "hat": supplier member, department staff, treasury or city
administrator of one municipality. The header lists them so that a user with
several can switch; ``/`` sends a user to the one they used last.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from municipality.models import StaffMembership, StaffRole
from partners.models import SupplierMembership, SupplierRole

ACTIVE_ROLE_SESSION_KEY = "active_role"

# Where each staff role starts, and the order roles are offered in.
_STAFF_HOMES = {
    StaffRole.CITY_ADMIN: "city:manage",
    StaffRole.TREASURY: "city:treasury",
    StaffRole.DEPARTMENT: "city:inbox",
}


@dataclass(frozen=True)
class Role:
    key: str
    kind: str
    label: str
    organisation: str
    url: str
    # The URL prefix this role owns; the longest match names the current role.
    area: str
    municipality_slug: str = ""
    is_supplier_owner: bool = False

    @property
    def title(self) -> str:
        return gettext("%(organisation)s（%(role)s）") % {
            "organisation": self.organisation,
            "role": self.label,
        }


def roles_for_user(user) -> list[Role]:
    """Every role ``user`` holds, supplier first, then by municipality."""
    if not user.is_authenticated:
        return []
    roles = []
    membership = (
        SupplierMembership.objects.select_related("supplier").filter(user=user).first()
    )
    if membership is not None:
        roles.append(
            Role(
                key="supplier",
                kind="supplier",
                label=gettext("取引先・%(role)s")
                % {"role": membership.get_role_display()},
                organisation=membership.supplier.legal_name,
                url=reverse("supplier:home"),
                area=reverse("supplier:home"),
                is_supplier_owner=membership.role == SupplierRole.OWNER,
            )
        )
    with scopes_disabled():
        staff = list(
            StaffMembership.objects.filter(user=user, municipality__is_active=True)
            .select_related("municipality")
            .order_by("municipality__local_government_code")
        )
    order = list(_STAFF_HOMES)
    staff.sort(
        key=lambda m: (m.municipality.local_government_code, order.index(m.role))
    )
    for m in staff:
        url = reverse(
            _STAFF_HOMES[m.role], kwargs={"municipality_slug": m.municipality.slug}
        )
        roles.append(
            Role(
                key=f"{m.role}:{m.municipality.slug}",
                kind=m.role,
                label=m.get_role_display(),
                organisation=m.municipality.name,
                url=url,
                # City admins may open every page of their municipality.
                area=f"/m/{m.municipality.slug}/"
                if m.role == StaffRole.CITY_ADMIN
                else url,
                municipality_slug=m.municipality.slug,
            )
        )
    return roles


def current_role(roles: list[Role], path: str) -> Role | None:
    """The role whose area ``path`` lies in (the longest matching start)."""
    matching = [r for r in roles if path.startswith(r.area)]
    return max(matching, key=lambda r: len(r.area), default=None)
