"""The invoices' audit trail (履歴)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy
from django_scopes import ScopedManager

from invoices.models.invoice import Invoice
from municipality.models import Municipality


class EventKind(models.TextChoices):
    ISSUED = "issued", gettext_lazy("発行")
    OPENED = "opened", gettext_lazy("開封")
    VIEWED = "viewed", gettext_lazy("閲覧")
    RETURNED = "returned", gettext_lazy("差戻し")
    APPROVED = "approved", gettext_lazy("承認")
    WITHDRAWN = "withdrawn", gettext_lazy("取下げ")
    REMINDED = "reminded", gettext_lazy("催促")
    EXPORTED = "exported", gettext_lazy("CSV出力")
    DOWNLOADED = "downloaded", gettext_lazy("ダウンロード")
    SCHEDULED = "scheduled", gettext_lazy("支払予定")
    PAID = "paid", gettext_lazy("支払")
    BATCH = "batch", gettext_lazy("支払バッチ")
    PAYEE = "payee", gettext_lazy("振込先の指定")


class InvoiceEvent(models.Model):
    """One entry of the audit trail (履歴), append-only and hash-chained.

    ``hash`` covers this entry's content and ``prev_hash``, the hash of the
    entry before it in its municipality's chain (see ``AuditChainHead``);
    ``content_hash`` is the invoice's content hash when the event happened.
    Any altered or removed row breaks the chain, which ``manage.py
    verify_audit_chain`` reports. Rows are never updated or deleted by the application.

    A streamed export records each chunk of invoices it sends as one event
    per municipality, without ``invoice``: ``data["invoices"]`` lists their
    ids (covered by the hash; ``invoice_events`` finds it for each of them),
    since one row per invoice costs more than writing the file.
    """

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=gettext_lazy("請求書"),
        on_delete=models.PROTECT,
        related_name="events",
        null=True,
        blank=True,
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=gettext_lazy("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
        # Served by ``invoice_event_chain_idx``, which leads with it.
        db_index=False,
    )
    kind = models.CharField(gettext_lazy("種類"), max_length=12, choices=EventKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("操作した人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(
        gettext_lazy("操作した人（記録時）"), max_length=200, blank=True
    )
    from_status = models.CharField(gettext_lazy("変更前"), max_length=10, blank=True)
    to_status = models.CharField(gettext_lazy("変更後"), max_length=10, blank=True)
    reason = models.TextField(gettext_lazy("理由"), blank=True)
    data = models.JSONField(gettext_lazy("内容"), default=dict, blank=True)
    content_hash = models.CharField(gettext_lazy("請求書の内容ハッシュ"), max_length=64)
    prev_hash = models.CharField(gettext_lazy("直前のハッシュ"), max_length=64)
    hash = models.CharField(gettext_lazy("ハッシュ"), max_length=64, unique=True)
    created_at = models.DateTimeField(gettext_lazy("日時"))

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = gettext_lazy("請求書の履歴")
        verbose_name_plural = gettext_lazy("請求書の履歴")
        ordering = ["pk"]
        indexes = [
            # One municipality's chain in id order (``verify_audit_chain``).
            models.Index(fields=["municipality", "id"], name="invoice_event_chain_idx"),
        ]
        constraints = [
            # Only an export's events list their invoices instead.
            models.CheckConstraint(
                condition=models.Q(invoice__isnull=False)
                | models.Q(kind=EventKind.EXPORTED),
                name="invoice_event_has_invoice",
            ),
        ]

    def __str__(self):
        invoice = self.invoice or len(self.data.get("invoices", ()))
        return f"{invoice} {self.get_kind_display()}"
