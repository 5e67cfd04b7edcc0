"""API keys for suppliers' systems, the log of their calls, the stored
answers of idempotent writes, and webhook endpoints with their deliveries."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Supplier


class ApiScope(models.TextChoices):
    """What a key may do. ``issue`` implies ``draft``, which implies
    ``read``: a key that may issue may also read what it issued."""

    READ = "read", _("参照")
    DRAFT = "draft", _("下書きの作成")
    ISSUE = "issue", _("発行")


SCOPE_RANK = {ApiScope.READ: 0, ApiScope.DRAFT: 1, ApiScope.ISSUE: 2}


class ApiKey(models.Model):
    """A secret for a supplier's sales or accounting system (APIキー).

    Only a SHA-256 of the secret is kept: the secret is shown once, when an
    owner creates the key. Keys are random (256 bits), so a plain hash is
    enough; ``prefix`` finds the row without revealing the secret. A key
    acts as the owner who created it: the invoices' history names that
    person, and every call is logged with the key (``ApiCall``). It stops
    working when revoked, when it expires, or when its creator leaves the
    supplier.
    """

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("名前"), max_length=100)
    prefix = models.CharField(_("キーの識別子"), max_length=12, unique=True)
    secret_hash = models.CharField(_("キーのハッシュ"), max_length=64)
    scope = models.CharField(_("権限"), max_length=8, choices=ApiScope)
    expires_at = models.DateTimeField(_("有効期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("無効にした日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("APIキー")
        verbose_name_plural = _("APIキー")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"

    def allows(self, scope: str) -> bool:
        return SCOPE_RANK[ApiScope(self.scope)] >= SCOPE_RANK[ApiScope(scope)]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiCall(models.Model):
    """One call made with a key (API利用記録): who called what, and how it
    ended. Kept for the supplier's owners and the platform admins."""

    api_key = models.ForeignKey(
        ApiKey,
        verbose_name=_("APIキー"),
        on_delete=models.CASCADE,
        related_name="calls",
    )
    method = models.CharField(_("メソッド"), max_length=8)
    path = models.CharField(_("パス"), max_length=300)
    status = models.PositiveSmallIntegerField(_("応答コード"))
    idempotency_key = models.CharField(
        _("冪等キー"), max_length=100, blank=True, default=""
    )
    client_ip = models.GenericIPAddressField(_("接続元"), null=True, blank=True)
    created_at = models.DateTimeField(_("日時"), default=timezone.now)

    class Meta:
        verbose_name = _("API利用記録")
        verbose_name_plural = _("API利用記録")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["api_key", "-created_at"])]

    def __str__(self):
        return f"{self.method} {self.path} {self.status}"


class IdempotentRequest(models.Model):
    """The answer given to a write with an ``Idempotency-Key``: the same
    key and body get the same answer again, without a second invoice."""

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("冪等キーの記録")
        verbose_name_plural = _("冪等キーの記録")
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], name="api_idempotency_key_unique"
            )
        ]

    def __str__(self):
        return self.key
