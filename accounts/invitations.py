"""What every emailed invitation shares, whoever sends it: a supplier
owner inviting a colleague (partners) or a city administrator inviting
staff (municipality). Tokens are made by ``accounts.tokens``."""

from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("送信済み")
    ACCEPTED = "accepted", _("承諾済み")
    REVOKED = "revoked", _("取消済み")


class InvitationBase(models.Model):
    """What every emailed invitation has: a single-use link that expires.

    Only the SHA-256 digest of the link's token is stored, so the database
    alone cannot be used to accept an invitation.
    """

    email = models.EmailField(_("招待先メールアドレス"))
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("状態"),
        max_length=10,
        choices=InvitationStatus,
        default=InvitationStatus.SENT,
    )
    expires_at = models.DateTimeField(_("有効期限"))
    sent_count = models.PositiveSmallIntegerField(_("送信回数"), default=0)
    last_sent_at = models.DateTimeField(_("最終送信日時"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("招待した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承諾した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("承諾日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        abstract = True

    def is_expired(self, now) -> bool:
        return self.status == InvitationStatus.SENT and self.expires_at <= now


class InvitationStep(StrEnum):
    """Where the person who opened an invitation link stands, as far as
    every invitation goes; the inviting app may look further at CONFIRM."""

    SIGNUP = "signup"  # no account with the invited address: create one
    LOGIN = "login"  # an account exists but is not logged in
    CONFIRM = "confirm"  # logged in with the invited address: may accept
    JOINED = "joined"  # this user accepted it already
    WRONG_ACCOUNT = "wrong_account"
    ACCEPTED = "accepted"  # accepted, but not by the user who is looking
    EXPIRED = "expired"
    REVOKED = "revoked"


def invitation_step(
    invitation: InvitationBase, user: User | AnonymousUser
) -> InvitationStep:
    """Where ``user`` (possibly anonymous) stands with ``invitation``."""
    if invitation.status == InvitationStatus.REVOKED:
        return InvitationStep.REVOKED
    if invitation.status == InvitationStatus.ACCEPTED:
        if user.is_authenticated and invitation.accepted_by_id == user.pk:
            return InvitationStep.JOINED
        return InvitationStep.ACCEPTED
    if invitation.is_expired(timezone.now()):
        return InvitationStep.EXPIRED
    if not user.is_authenticated:
        if User.objects.filter(email__iexact=invitation.email).exists():
            return InvitationStep.LOGIN
        return InvitationStep.SIGNUP
    if user.email.lower() != invitation.email.lower():
        return InvitationStep.WRONG_ACCOUNT
    return InvitationStep.CONFIRM
