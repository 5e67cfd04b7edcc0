"""ZIP exports of invoices' documents."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django_scopes import ScopedManager

from municipality.models import Municipality
from partners.models import Supplier


class ZipExportStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待機中")
    RUNNING = "running", gettext_lazy("作成中")
    READY = "ready", gettext_lazy("作成済")
    FAILED = "failed", gettext_lazy("作成失敗")


def zip_export_upload_to(job, filename):
    owner = f"m{job.municipality_id}" if job.municipality_id else f"s{job.supplier_id}"
    return f"exports/{owner}/{secrets.token_hex(16)}.zip"


class ZipExport(models.Model):
    """A ZIP of invoices' documents (電子帳簿保存法's download: the stored
    PDFs, the attachments and an index CSV) too large to build while the
    user waits, built by a Celery task that counts ``progress_done`` of
    ``progress_total`` invoices.

    It belongs to the user who asked for it, in the area they asked from:
    a city job carries its ``municipality``, a supplier job its
    ``supplier``; nobody else opens it. ``invoice_ids`` are the invoices
    chosen when it was asked for, so the file and the history (recorded at
    each download) hold the same set.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=gettext_lazy("自治体"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=gettext_lazy("取引先"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("依頼した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice_ids = models.JSONField(gettext_lazy("請求書"), default=list)
    # SHA-256 of the sorted ids: the same request again finds this job.
    selection = models.CharField(gettext_lazy("選択のハッシュ"), max_length=64)
    status = models.CharField(
        gettext_lazy("状態"),
        max_length=10,
        choices=ZipExportStatus,
        default=ZipExportStatus.PENDING,
    )
    progress_done = models.PositiveIntegerField(
        gettext_lazy("処理済みの請求書"), default=0
    )
    progress_total = models.PositiveIntegerField(gettext_lazy("請求書の数"), default=0)
    file = models.FileField(
        gettext_lazy("ファイル"), upload_to=zip_export_upload_to, blank=True
    )
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(gettext_lazy("サイズ（バイト）"), default=0)
    error = models.TextField(gettext_lazy("エラー"), blank=True)
    created_at = models.DateTimeField(gettext_lazy("依頼日時"), auto_now_add=True)
    finished_at = models.DateTimeField(gettext_lazy("完了日時"), null=True, blank=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = gettext_lazy("ZIPの作成")
        verbose_name_plural = gettext_lazy("ZIPの作成")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ZipExportStatus.values),
                name="zip_export_status_valid",
            ),
            # A city's job or a supplier's, never both nor neither.
            models.CheckConstraint(
                condition=Q(municipality__isnull=True, supplier__isnull=False)
                | Q(municipality__isnull=False, supplier__isnull=True),
                name="zip_export_one_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["created_by", "-created_at"]),
        ]

    def __str__(self):
        return f"ZIP {self.pk}（{self.get_status_display()}）"
