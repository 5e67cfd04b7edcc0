"""A supplier's CSV bulk upload."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from partners.models import Supplier


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", gettext_lazy("確認中")
    READY = "ready", gettext_lazy("確認済（取り込み待ち）")
    INVALID = "invalid", gettext_lazy("誤りあり")
    IMPORTING = "importing", gettext_lazy("取り込み中")
    DONE = "done", gettext_lazy("取り込み済")
    FAILED = "failed", gettext_lazy("取り込み失敗")


def import_upload_to(upload, filename):
    return f"imports/{upload.supplier_id}/{secrets.token_hex(16)}.csv"


class InvoiceImport(models.Model):
    """One CSV bulk upload (一括アップロード) of a supplier: the stored file,
    its validation preview and, once confirmed, what it created.

    Large files are validated and imported by a Celery task that updates
    ``progress_done`` of ``progress_total`` lines, so the page can show a
    progress bar and survive a reload. A file whose content was already
    imported (same SHA-256) creates nothing the second time.
    """

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=gettext_lazy("取引先"),
        on_delete=models.CASCADE,
        related_name="imports",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("アップロードした人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(gettext_lazy("ファイル"), upload_to=import_upload_to)
    filename = models.CharField(gettext_lazy("ファイル名"), max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField(gettext_lazy("サイズ（バイト）"))
    encoding = models.CharField(gettext_lazy("文字コード"), max_length=20, blank=True)
    issue = models.BooleanField(gettext_lazy("発行まで行う"), default=False)
    status = models.CharField(
        gettext_lazy("状態"),
        max_length=12,
        choices=ImportStatus,
        default=ImportStatus.VALIDATING,
    )
    progress_done = models.PositiveIntegerField(gettext_lazy("処理済みの行"), default=0)
    progress_total = models.PositiveIntegerField(gettext_lazy("行数"), default=0)
    preview = models.JSONField(gettext_lazy("確認結果"), default=dict, blank=True)
    result = models.JSONField(gettext_lazy("取り込み結果"), default=dict, blank=True)
    created_at = models.DateTimeField(
        gettext_lazy("アップロード日時"), auto_now_add=True
    )
    finished_at = models.DateTimeField(gettext_lazy("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("一括アップロード")
        verbose_name_plural = gettext_lazy("一括アップロード")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values),
                name="invoice_import_status_valid",
            ),
            # The same content is imported at most once per supplier.
            models.UniqueConstraint(
                fields=["supplier", "sha256"],
                condition=Q(status="done"),
                name="invoice_import_once_per_file",
            ),
        ]

    def __str__(self):
        return f"{self.filename}（{self.get_status_display()}）"
