"""Staff run by the city administrator (職員の管理): invitations by email,
roles and departments, and deactivation of someone who leaves.

Invitations follow the supplier members' (``partners.services.members``):
the link carries a token of which only the digest is stored, and accepting
locks the invitation row and checks its state again, so a double submit
grants one role. Every invitation, role change and deactivation is a
settings event (設定・権限の変更履歴). A municipality always keeps a city
administrator, and nobody takes their own administration away.
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.emails import email_send_template
from accounts.invitations import InvitationStatus, InvitationStep, invitation_step
from accounts.models import User
from accounts.services import user_create_from_invitation
from accounts.sessions import user_sessions_end
from accounts.tokens import token_new
from municipality.audit import field_changes, settings_event_append
from municipality.models import (
    Department,
    Municipality,
    SettingsAction,
    SettingsEventKind,
    StaffInvitation,
    StaffMembership,
    StaffRole,
)
from municipality.services import (
    DEPARTMENTS_LABEL,
    staff_membership_grant,
    staff_membership_revoke,
    staff_membership_save,
)

LAST_CITY_ADMIN = gettext_lazy(
    "自治体管理者がいなくなるため変更できません。"
    "先に別の職員を自治体管理者にしてください。"
)
OWN_CITY_ADMIN = gettext_lazy(
    "自分の自治体管理者の役割は外せません。別の自治体管理者に依頼してください。"
)


class StaffInvitationError(Exception):
    """The invitation cannot be accepted now; ``step`` says why."""

    def __init__(self, step: InvitationStep):
        super().__init__(step)
        self.step = step


def _departments_text(departments: Iterable[Department]) -> str:
    return "、".join(sorted(f"{d.code} {d.name}" for d in departments))


def _invitation_values(invitation: StaffInvitation, departments) -> dict[str, str]:
    return {
        "email": invitation.email,
        "role": invitation.get_role_display(),
        "departments": _departments_text(departments),
        "status": invitation.get_status_display(),
    }


def _invitation_record(
    *, invitation: StaffInvitation, action: str, before: dict, after: dict, actor
) -> None:
    settings_event_append(
        kind=SettingsEventKind.STAFF_INVITATION,
        action=action,
        target_label=invitation.email,
        changes=field_changes(
            model=StaffInvitation,
            before=before,
            after=after,
            labels={"departments": DEPARTMENTS_LABEL},
        ),
        actor=actor,
        municipality_id=invitation.municipality_id,
    )


def _check_departments(
    *, municipality: Municipality, role: str, departments: list[Department]
) -> None:
    if any(d.municipality_id != municipality.pk for d in departments):
        raise ValidationError(
            {"departments": gettext("担当部署には同じ自治体の部署を選んでください。")}
        )
    if role == StaffRole.DEPARTMENT and not departments:
        raise ValidationError(
            {"departments": gettext("部署担当者には担当部署を1つ以上選んでください。")}
        )


def _absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _invitation_send(*, invitation: StaffInvitation) -> None:
    """Give ``invitation`` a fresh token and expiry and email the link;
    the link of an earlier email stops working."""
    token, invitation.token_digest = token_new()
    now = timezone.now()
    invitation.expires_at = now + timedelta(
        days=invitation.municipality.invitation_valid_days
    )
    invitation.sent_count += 1
    invitation.last_sent_at = now
    invitation.full_clean(exclude=["departments"])
    invitation.save()
    email_send_template(
        template="staff_invitation",
        to=[invitation.email],
        context={
            "invitation": invitation,
            "municipality": invitation.municipality,
            "inviter": invitation.invited_by,
            "departments": _departments_text(invitation.departments.all()),
            "accept_url": _absolute_url(
                reverse("staff_invitations:accept", kwargs={"token": token})
            ),
        },
    )


@transaction.atomic
def staff_invitation_create(
    *,
    municipality: Municipality,
    email: str,
    role: StaffRole,
    departments: Iterable[Department] = (),
    actor: User,
) -> StaffInvitation:
    """Invite ``email`` to the municipality's staff with ``role`` (and the
    ``departments`` of department staff) and email the link.

    Raises ``ValidationError`` when the address already holds the role,
    has an invitation for it waiting, or the departments do not fit.
    """
    # Serialises invitations per municipality: a double submit sends one.
    municipality = Municipality.objects.select_for_update().get(pk=municipality.pk)
    departments = list(departments) if role == StaffRole.DEPARTMENT else []
    _check_departments(municipality=municipality, role=role, departments=departments)
    email = User.objects.normalize_email(email).lower()
    if StaffMembership.objects.filter(
        municipality=municipality, role=role, user__email__iexact=email
    ).exists():
        raise ValidationError(
            {
                "email": gettext(
                    "このメールアドレスの方はすでにこの役割の職員です。"
                    "担当部署を変えるには、職員の一覧から編集してください。"
                )
            }
        )
    if StaffInvitation.objects.filter(
        municipality=municipality,
        role=role,
        email__iexact=email,
        status=InvitationStatus.SENT,
        expires_at__gt=timezone.now(),
    ).exists():
        raise ValidationError(
            {
                "email": gettext(
                    "このメールアドレスにはすでにこの役割の招待を送っています。"
                    "届いていない場合は、招待の一覧から再送してください。"
                )
            }
        )
    # Saved before sending (the mail lists the departments, a many-to-many);
    # the placeholder digest is replaced by the one of the mailed token.
    invitation = StaffInvitation(
        municipality=municipality,
        email=email,
        role=role,
        invited_by=actor,
        token_digest=token_new()[1],
        expires_at=timezone.now(),
    )
    invitation.full_clean(exclude=["departments"])
    invitation.save()
    invitation.departments.set(departments)
    _invitation_send(invitation=invitation)
    _invitation_record(
        invitation=invitation,
        action=SettingsAction.CREATED,
        before={},
        after=_invitation_values(invitation, departments),
        actor=actor,
    )
    return invitation


def _invitation_lock(invitation: StaffInvitation) -> StaffInvitation:
    return (
        StaffInvitation.objects.select_for_update(of=("self",))
        .select_related("municipality", "invited_by")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def staff_invitation_resend(
    *, invitation: StaffInvitation, actor: User
) -> StaffInvitation:
    """Email a pending invitation again with a new link (also after it
    expired). Raises ``ValidationError`` if it was accepted or revoked."""
    invitation = _invitation_lock(invitation)
    if invitation.status != InvitationStatus.SENT:
        raise ValidationError(
            gettext("この招待は%(status)sのため、再送できません。")
            % {"status": invitation.get_status_display()}
        )
    _invitation_send(invitation=invitation)
    return invitation


@transaction.atomic
def staff_invitation_revoke(
    *, invitation: StaffInvitation, actor: User
) -> StaffInvitation:
    """Make a pending invitation's link stop working; idempotent. Raises
    ``ValidationError`` if it was accepted already."""
    invitation = _invitation_lock(invitation)
    if invitation.status == InvitationStatus.ACCEPTED:
        raise ValidationError(
            gettext(
                "この招待はすでに承諾されているため、取り消せません。"
                "役割を外すには、職員の一覧から編集または利用停止してください。"
            )
        )
    if invitation.status == InvitationStatus.SENT:
        departments = list(invitation.departments.all())
        before = _invitation_values(invitation, departments)
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["status", "revoked_at"])
        _invitation_record(
            invitation=invitation,
            action=SettingsAction.CHANGED,
            before=before,
            after=_invitation_values(invitation, departments),
            actor=actor,
        )
    return invitation


def staff_invitation_step(
    *, invitation: StaffInvitation, user: User | AnonymousUser
) -> InvitationStep:
    """Where ``user`` (possibly anonymous) stands with ``invitation``."""
    return invitation_step(invitation, user)


def _invitation_accept(*, invitation: StaffInvitation, user: User) -> StaffMembership:
    departments = list(invitation.departments.filter(is_active=True))
    if invitation.role == StaffRole.DEPARTMENT and not departments:
        raise ValidationError(
            gettext(
                "招待された部署がすべて無効になっています。"
                "招待した自治体管理者に連絡してください。"
            )
        )
    membership = staff_membership_grant(
        user=user,
        municipality=invitation.municipality,
        role=StaffRole(invitation.role),
        departments=departments,
        actor=user,
    )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    return membership


@transaction.atomic
def staff_invitation_accept(
    *, invitation: StaffInvitation, user: User
) -> StaffMembership:
    """Grant the logged-in ``user`` the role the invitation names.

    Raises ``StaffInvitationError`` unless ``user`` may accept it now
    (``InvitationStep.CONFIRM``), ``ValidationError`` when every invited
    department has been deactivated since.
    """
    invitation = _invitation_lock(invitation)
    step = staff_invitation_step(invitation=invitation, user=user)
    if step != InvitationStep.CONFIRM:
        raise StaffInvitationError(step)
    return _invitation_accept(invitation=invitation, user=user)


@transaction.atomic
def staff_invitation_accept_new_user(
    *, invitation: StaffInvitation, name: str, password: str
) -> User:
    """Create the invited person's account and grant the role.

    Raises ``StaffInvitationError`` unless the invitation is open and no
    account uses its address (``InvitationStep.SIGNUP``).
    """
    invitation = _invitation_lock(invitation)
    step = staff_invitation_step(invitation=invitation, user=AnonymousUser())
    if step != InvitationStep.SIGNUP:
        raise StaffInvitationError(step)
    user = user_create_from_invitation(
        email=invitation.email, name=name, password=password
    )
    _invitation_accept(invitation=invitation, user=user)
    return user


def _lock_staff(
    *, municipality: Municipality, user: User
) -> dict[str, StaffMembership]:
    """The user's memberships here by role, locked with every city admin
    row, so two administrators removing each other cannot leave none."""
    list(
        StaffMembership.objects.select_for_update(of=("self",)).filter(
            municipality=municipality, role=StaffRole.CITY_ADMIN
        )
    )
    return {
        m.role: m
        for m in StaffMembership.objects.select_for_update(of=("self",))
        .select_related("user", "municipality")
        .filter(municipality=municipality, user=user)
    }


def _check_city_admin_kept(
    *, municipality: Municipality, user: User, actor: User
) -> None:
    """Raise unless removing ``user``'s city administration leaves one."""
    if user.pk == actor.pk:
        raise ValidationError(OWN_CITY_ADMIN)
    others = (
        StaffMembership.objects.filter(
            municipality=municipality, role=StaffRole.CITY_ADMIN
        )
        .exclude(user=user)
        .exists()
    )
    if not others:
        raise ValidationError(LAST_CITY_ADMIN)


@transaction.atomic
def staff_roles_set(
    *,
    municipality: Municipality,
    user: User,
    roles: Mapping[str, Iterable[Department]],
    actor: User,
) -> list[StaffMembership]:
    """Make ``user``'s roles in the municipality exactly ``roles`` (role →
    its departments; only department staff have any): roles granted,
    departments changed and roles removed are each recorded.

    Raises ``ValidationError`` when no role is left (deactivate instead),
    department staff would have no department, or the city would lose its
    last administrator, or the actor their own administration.
    """
    if not roles:
        raise ValidationError(
            gettext(
                "役割を1つ以上選んでください。"
                "職員が異動・退職した場合は「利用を停止」を使ってください。"
            )
        )
    current = _lock_staff(municipality=municipality, user=user)
    if StaffRole.CITY_ADMIN in current and StaffRole.CITY_ADMIN not in roles:
        _check_city_admin_kept(municipality=municipality, user=user, actor=actor)
    wanted = {
        role: list(departments) if role == StaffRole.DEPARTMENT else []
        for role, departments in roles.items()
    }
    for role, departments in wanted.items():
        _check_departments(
            municipality=municipality, role=role, departments=departments
        )
    for role, membership in current.items():
        if role not in wanted:
            staff_membership_revoke(membership=membership, actor=actor)
    result = []
    for role, departments in wanted.items():
        membership = current.get(role)
        if membership is None:
            membership = staff_membership_grant(
                user=user,
                municipality=municipality,
                role=StaffRole(role),
                departments=departments,
                actor=actor,
            )
        elif role == StaffRole.DEPARTMENT and {
            d.pk for d in membership.departments.all()
        } != {d.pk for d in departments}:
            membership = staff_membership_save(
                membership=membership, departments=departments, actor=actor
            )
        result.append(membership)
    return result


@transaction.atomic
def staff_deactivate(*, municipality: Municipality, user: User, actor: User) -> int:
    """Someone who leaves (異動・退職): every role they hold here ends (each
    recorded), invitations waiting for their address are revoked, and their
    sessions end, so their next request is refused. Their account and its
    history stay. Returns the number of roles ended.

    Raises ``ValidationError`` for oneself or the last city administrator.
    """
    current = _lock_staff(municipality=municipality, user=user)
    if not current:
        return 0
    if user.pk == actor.pk:
        raise ValidationError(
            gettext(
                "自分自身の利用は停止できません。別の自治体管理者に依頼してください。"
            )
        )
    if StaffRole.CITY_ADMIN in current:
        _check_city_admin_kept(municipality=municipality, user=user, actor=actor)
    for membership in current.values():
        staff_membership_revoke(membership=membership, actor=actor)
    for invitation in StaffInvitation.objects.filter(
        municipality=municipality,
        email__iexact=user.email,
        status=InvitationStatus.SENT,
    ):
        staff_invitation_revoke(invitation=invitation, actor=actor)
    # The role check runs on every request already; ending the sessions
    # also drops what an open page could still post.
    user_sessions_end(user=user)
    return len(current)
