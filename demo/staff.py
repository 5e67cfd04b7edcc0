"""Demo staff run by Kanoya's city administrator (職員の管理), made through
the same services as the console (``municipality.staff``), so the staff
list shows them and the 設定・権限の変更履歴 holds each step.

- One person was invited, accepted (signing up with the demo password) and
  was then given a second department by the administrator.
- One invitation is still waiting (承諾待ち); its mail, with the link to
  accept it, is in the mail folder.

Each is looked up by its invitation's address: once an invitation for it
exists, whatever happened to it during the demo is left as it is.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.invitations import InvitationStatus
from accounts.models import User
from municipality.models import (
    Department,
    Municipality,
    StaffInvitation,
    StaffMembership,
    StaffRole,
)
from municipality.staff import (
    staff_invitation_accept,
    staff_invitation_accept_new_user,
    staff_invitation_create,
    staff_roles_set,
)

if TYPE_CHECKING:
    from demo.world import DemoSeedResult


@dataclass(frozen=True)
class StaffInvitationSpec:
    email: str
    role: StaffRole
    # Department codes of the invitation.
    departments: tuple[str, ...]
    # Whether the invitee accepted it; then ``name`` is their account's.
    accepted: bool = False
    name: str = ""
    # Departments the administrator added after the invitee joined.
    added_departments: tuple[str, ...] = ()


KENCHIKU_STAFF = StaffInvitationSpec(
    email="kanoya-kenchiku@example.jp",
    role=StaffRole.DEPARTMENT,
    departments=("170",),
    accepted=True,
    name="上村 雅人",
    added_departments=("380",),
)
PENDING_STAFF = StaffInvitationSpec(
    email="kanoya-shinnin@example.jp",
    role=StaffRole.DEPARTMENT,
    departments=("230",),
)
STAFF_INVITATIONS = (KENCHIKU_STAFF, PENDING_STAFF)


def staff_invitations_ensure(
    *,
    municipality: Municipality,
    departments: dict[str, Department],
    admin: User,
    password: str,
    result: "DemoSeedResult",
) -> None:
    """Invite the demo staff of ``STAFF_INVITATIONS`` as ``admin`` would
    from the console, unless an invitation for the address exists already
    (or the address already holds the role)."""
    for spec in STAFF_INVITATIONS:
        invited = StaffInvitation.objects.filter(
            municipality=municipality, email__iexact=spec.email
        )
        holds_role = StaffMembership.objects.filter(
            municipality=municipality, role=spec.role, user__email__iexact=spec.email
        )
        if invited.exists() or holds_role.exists():
            continue
        invitation = staff_invitation_create(
            municipality=municipality,
            email=spec.email,
            role=spec.role,
            departments=[departments[code] for code in spec.departments],
            actor=admin,
        )
        result.add("職員の招待")
        if not spec.accepted:
            result.add("承諾待ちの招待")
            continue
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            user = staff_invitation_accept_new_user(
                invitation=invitation, name=spec.name, password=password
            )
            result.add("利用者")
        else:
            staff_invitation_accept(invitation=invitation, user=user)
        staff_roles_set(
            municipality=municipality,
            user=user,
            roles={
                spec.role: [
                    departments[code]
                    for code in (*spec.departments, *spec.added_departments)
                ]
            },
            actor=admin,
        )
        result.add("招待から加わった職員")


def pending_staff_invitations(*, municipality: Municipality) -> list[StaffInvitation]:
    """The demo's invitations still waiting to be accepted."""
    return list(
        StaffInvitation.objects.filter(
            municipality=municipality,
            email__in=[spec.email for spec in STAFF_INVITATIONS],
            status=InvitationStatus.SENT,
            expires_at__gt=timezone.now(),
        ).order_by("email")
    )
