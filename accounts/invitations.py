"""What every emailed invitation shares, whoever sends it: a supplier
owner inviting a colleague (partners) or a city administrator inviting
staff (municipality). Tokens are made by ``accounts.tokens``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
