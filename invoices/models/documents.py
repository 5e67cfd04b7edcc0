"""An invoice's documents: attachments and the rendered PDF."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django_scopes import ScopedManager

from invoices.models.invoice import DraftOnlyMixin, Invoice
from municipality.models import Municipality


def attachment_upload_to(attachment, filename):
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    invoice = attachment.invoice
    return (
        f"invoices/{invoice.municipality_id}/{invoice.pk}/"
        f"{secrets.token_hex(16)}.{extension}"
    )


class InvoiceAttachment(DraftOnlyMixin, models.Model):
    """添付書類 (納品書, 検査資料…): checked by content at upload."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=gettext_lazy("請求書"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(gettext_lazy("ファイル"), upload_to=attachment_upload_to)
    original_name = models.CharField(gettext_lazy("ファイル名"), max_length=200)
    content_type = models.CharField(gettext_lazy("種類"), max_length=100)
    size = models.PositiveIntegerField(gettext_lazy("サイズ（バイト）"))
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField(gettext_lazy("追加日時"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("添付書類")
        verbose_name_plural = gettext_lazy("添付書類")
        ordering = ["invoice", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


class PdfStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("作成中")
    READY = "ready", gettext_lazy("作成済")
    FAILED = "failed", gettext_lazy("作成失敗")


def filename_part(text: str) -> str:
    """``text`` (an invoice number) made safe for a file name."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def pdf_upload_to(pdf, filename):
    invoice = pdf.invoice
    year = invoice.received_at.year if invoice.received_at else "draft"
    number = filename_part(invoice.number)
    return (
        f"invoices/{invoice.municipality_id}/{year}/{number}-{secrets.token_hex(8)}.pdf"
    )


class InvoicePdf(models.Model):
    """The PDF of an issued invoice, rendered by a Celery task from the
    frozen snapshot and stored with its SHA-256. Served only through
    permission-checked views."""

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=gettext_lazy("請求書"),
        on_delete=models.PROTECT,
        related_name="pdf",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=gettext_lazy("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        gettext_lazy("状態"),
        max_length=10,
        choices=PdfStatus,
        default=PdfStatus.PENDING,
    )
    file = models.FileField("PDF", upload_to=pdf_upload_to, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(gettext_lazy("試行回数"), default=0)
    error = models.TextField(gettext_lazy("エラー"), blank=True)
    requested_at = models.DateTimeField(gettext_lazy("依頼日時"), auto_now_add=True)
    rendered_at = models.DateTimeField(gettext_lazy("作成日時"), null=True, blank=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = gettext_lazy("請求書PDF")
        verbose_name_plural = gettext_lazy("請求書PDF")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PdfStatus.values),
                name="invoice_pdf_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.invoice} PDF（{self.get_status_display()}）"
