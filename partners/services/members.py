"""A supplier's members (取引先の利用者) and their invitations.

An owner invites a colleague by email; the link carries a token of which
only the digest is stored. Accepting is idempotent: the invitation row is
locked and its state checked again, so a double submit creates one account
and one membership. A supplier always keeps at least one owner.
"""

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.emails import email_send_template
from accounts.invitations import InvitationStep, invitation_step
from accounts.models import User
from accounts.services import user_create_from_invitation
from accounts.tokens import token_new
from municipality.models import SettingsAction
from partners.models import (
    InvitationStatus,
    MemberInvitation,
    Supplier,
    SupplierMembership,
    SupplierRole,
)
from partners.selectors import (
    member_invitation_list_pending,
    supplier_owner_emails,
)
from partners.services.suppliers import (
    supplier_member_add,
    supplier_membership_delete,
    supplier_role_record,
    supplier_role_values,
)

INVITATION_VALID_DAYS = 14


class AcceptStep(StrEnum):
    """What the person who opened a member invitation link can do."""

    SIGNUP = "signup"  # no account with the invited address: create one
    LOGIN = "login"  # an account exists but is not logged in
    CONFIRM = "confirm"  # logged in with the invited address: may join
    JOINED = "joined"  # this user accepted it already
    ALREADY_MEMBER = "already_member"
    OTHER_SUPPLIER = "other_supplier"
    WRONG_ACCOUNT = "wrong_account"
    ACCEPTED = "accepted"  # accepted, but not by the user who is looking
    EXPIRED = "expired"
    REVOKED = "revoked"


class MemberInvitationError(Exception):
    """The invitation cannot be accepted now; ``step`` says why."""

    def __init__(self, step: AcceptStep):
        super().__init__(step)
        self.step = step


def member_invitation_step(
    *, invitation: MemberInvitation, user: User | AnonymousUser
) -> AcceptStep:
    """Where ``user`` (possibly anonymous) stands with ``invitation``."""
    step = invitation_step(invitation, user)
    if step != InvitationStep.CONFIRM:
        return AcceptStep(step)
    membership = SupplierMembership.objects.filter(user=user).first()
    if membership is None:
        return AcceptStep.CONFIRM
    if membership.supplier_id == invitation.supplier_id:
        return AcceptStep.ALREADY_MEMBER
    return AcceptStep.OTHER_SUPPLIER


def _absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _invitation_send(*, invitation: MemberInvitation) -> None:
    """Give ``invitation`` a fresh token and expiry and email the link.

    Only the digest is stored, so every (re)send needs a new token; the
    link of an earlier email stops working.
    """
    token, invitation.token_digest = token_new()
    now = timezone.now()
    invitation.expires_at = now + timedelta(days=INVITATION_VALID_DAYS)
    invitation.sent_count += 1
    invitation.last_sent_at = now
    invitation.full_clean()
    invitation.save()
    email_send_template(
        template="member_invitation",
        to=[invitation.email],
        context={
            "invitation": invitation,
            "supplier": invitation.supplier,
            "inviter": invitation.invited_by,
            "accept_url": _absolute_url(
                reverse("invitations:member_accept", kwargs={"token": token})
            ),
        },
    )


@transaction.atomic
def member_invitation_create(
    *, supplier: Supplier, email: str, role: SupplierRole, actor: User
) -> MemberInvitation:
    """Invite ``email`` to join ``supplier`` with ``role`` and email the link.

    Raises ``ValidationError`` if the address already belongs to a member of
    the supplier or already has an invitation waiting.
    """
    # Serialises invitations per supplier, so a double submit cannot send
    # two invitations to one address.
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    email = User.objects.normalize_email(email).lower()
    if SupplierMembership.objects.filter(
        supplier=supplier, user__email__iexact=email
    ).exists():
        raise ValidationError(
            {"email": gettext("このメールアドレスの方はすでにこの取引先の利用者です。")}
        )
    if (
        member_invitation_list_pending(supplier=supplier)
        .filter(email__iexact=email)
        .exists()
    ):
        raise ValidationError(
            {
                "email": gettext(
                    "このメールアドレスにはすでに招待を送っています。"
                    "届いていない場合は、利用者の一覧から再送してください。"
                )
            }
        )
    invitation = MemberInvitation(
        supplier=supplier, email=email, role=role, invited_by=actor
    )
    _invitation_send(invitation=invitation)
    return invitation


def _invitation_lock(invitation: MemberInvitation) -> MemberInvitation:
    return (
        MemberInvitation.objects.select_for_update(of=("self",))
        .select_related("supplier", "invited_by")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def member_invitation_resend(*, invitation: MemberInvitation) -> MemberInvitation:
    """Email a pending invitation again, with a new link valid for
    ``INVITATION_VALID_DAYS`` (also after it expired).

    Raises ``ValidationError`` if it was accepted or revoked meanwhile.
    """
    invitation = _invitation_lock(invitation)
    if invitation.status != InvitationStatus.SENT:
        raise ValidationError(
            gettext("この招待は%(status)sのため、再送できません。"),
            params={"status": invitation.get_status_display()},
        )
    _invitation_send(invitation=invitation)
    return invitation


@transaction.atomic
def member_invitation_revoke(*, invitation: MemberInvitation) -> MemberInvitation:
    """Make a pending invitation's link stop working; idempotent.

    Raises ``ValidationError`` if it was accepted already.
    """
    invitation = _invitation_lock(invitation)
    if invitation.status == InvitationStatus.ACCEPTED:
        raise ValidationError(
            gettext(
                "この招待はすでに承諾されているため、取り消せません。"
                "利用をやめてもらう場合は、利用者を削除してください。"
            )
        )
    if invitation.status == InvitationStatus.SENT:
        invitation.status = InvitationStatus.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["status", "revoked_at"])
    return invitation


def _invitation_accept(
    *, invitation: MemberInvitation, user: User
) -> SupplierMembership:
    membership = supplier_member_add(
        supplier=invitation.supplier, user=user, role=invitation.role, actor=user
    )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    # Someone joining can see and issue the supplier's invoices, so owners
    # are always told (like bank account changes, not a setting).
    email_send_template(
        template="member_joined",
        to=[
            e
            for e in supplier_owner_emails(supplier=invitation.supplier)
            if e != user.email
        ],
        context={
            "supplier": invitation.supplier,
            "member": user,
            "role": membership.get_role_display(),
            "members_url": _absolute_url(reverse("supplier:members")),
        },
    )
    return membership


@transaction.atomic
def member_invitation_accept(
    *, invitation: MemberInvitation, user: User
) -> SupplierMembership:
    """Make the logged-in ``user`` a member as the invitation says.

    Raises ``MemberInvitationError`` unless ``user`` may accept it now
    (``AcceptStep.CONFIRM``); ``JOINED`` means this user accepted already.
    """
    invitation = _invitation_lock(invitation)
    step = member_invitation_step(invitation=invitation, user=user)
    if step != AcceptStep.CONFIRM:
        raise MemberInvitationError(step)
    return _invitation_accept(invitation=invitation, user=user)


@transaction.atomic
def member_invitation_accept_new_user(
    *, invitation: MemberInvitation, name: str, password: str
) -> User:
    """Create the invited person's account and make them a member.

    Raises ``MemberInvitationError`` unless the invitation is still open
    and no account uses its address (``AcceptStep.SIGNUP``).
    """
    invitation = _invitation_lock(invitation)
    step = member_invitation_step(invitation=invitation, user=AnonymousUser())
    if step != AcceptStep.SIGNUP:
        raise MemberInvitationError(step)
    user = user_create_from_invitation(
        email=invitation.email, name=name, password=password
    )
    _invitation_accept(invitation=invitation, user=user)
    return user


def _membership_lock_keeping_an_owner(
    *, membership: SupplierMembership, message: str
) -> SupplierMembership:
    """Lock ``membership`` and raise ``ValidationError(message)`` if it is
    the supplier's only owner.

    All owner rows are locked, so two owners removing each other at the
    same time cannot leave the supplier with none.
    """
    owner_ids = list(
        SupplierMembership.objects.select_for_update()
        .filter(supplier_id=membership.supplier_id, role=SupplierRole.OWNER)
        .values_list("pk", flat=True)
    )
    membership = SupplierMembership.objects.select_for_update().get(pk=membership.pk)
    if owner_ids == [membership.pk]:
        raise ValidationError(message, code="last_owner")
    return membership


@transaction.atomic
def member_role_change(
    *, membership: SupplierMembership, role: SupplierRole, actor: User
) -> SupplierMembership:
    """Make a member an owner or a clerk (recorded when it changes).

    Raises ``ValidationError`` when the supplier's last owner would become
    a clerk.
    """
    if role == SupplierRole.OWNER:
        membership = SupplierMembership.objects.select_for_update().get(
            pk=membership.pk
        )
    else:
        membership = _membership_lock_keeping_an_owner(
            membership=membership,
            message=gettext(
                "最後の管理者を担当者に変更することはできません。"
                "先に別の利用者を管理者にしてください。"
            ),
        )
    before = supplier_role_values(membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    supplier_role_record(
        membership=membership,
        action=SettingsAction.CHANGED,
        before=before,
        actor=actor,
    )
    return membership


@transaction.atomic
def member_remove(*, membership: SupplierMembership, actor: User) -> None:
    """Take a member out of the supplier; their account stays. Recorded
    with the role removed.

    Raises ``ValidationError`` for the supplier's last owner.
    """
    membership = _membership_lock_keeping_an_owner(
        membership=membership,
        message=gettext(
            "最後の管理者は削除できません。先に別の利用者を管理者にしてください。"
        ),
    )
    supplier_membership_delete(membership=membership, actor=actor)
