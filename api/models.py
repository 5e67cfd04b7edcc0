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


class WebhookEvent(models.TextChoices):
    """What a supplier's system can be told of (the invoice's history
    events of the same names)."""

    OPENED = "opened", _("開封")
    RETURNED = "returned", _("差戻し")
    APPROVED = "approved", _("承認")
    SCHEDULED = "scheduled", _("支払予定")
    PAID = "paid", _("支払")


class WebhookEndpoint(models.Model):
    """An HTTPS address of the supplier's system that is told of its
    invoices' events (Webhook). ``secret`` signs every delivery (HMAC-SHA256,
    see ``api.services.webhooks``); it must be kept to sign, so it is stored
    and shown to the supplier's owners. ``last_event_id`` is how far the
    invoices' history has been read for it: events are collected from the
    history itself, so none is missed however it was written."""

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("送信先URL"), max_length=500)
    events = models.JSONField(_("通知する出来事"), default=list)
    secret = models.CharField(_("署名の鍵"), max_length=64)
    is_active = models.BooleanField(_("有効"), default=True)
    last_event_id = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登録日時"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook")
        verbose_name_plural = _("Webhook")
        ordering = ["pk"]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("送信待ち")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失敗（再送しません）")


class WebhookDelivery(models.Model):
    """One message to an endpoint, with every attempt's outcome. A failed
    attempt is tried again later (``next_attempt_at``, growing backoff);
    after the last it stays failed and can be sent again by hand."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("Webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("出来事"), max_length=12)
    payload = models.JSONField(_("内容"))
    status = models.CharField(
        _("状態"),
        max_length=10,
        choices=DeliveryStatus,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("送信回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の送信"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(
        _("応答コード"), null=True, blank=True
    )
    response_body = models.TextField(_("応答の内容"), blank=True)
    error = models.CharField(_("エラー"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送信成功日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhookの送信")
        verbose_name_plural = _("Webhookの送信")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"
