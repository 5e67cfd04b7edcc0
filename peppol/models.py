"""Peppol documents the portal receives.

``InboundDocument`` is one JP PINT document as it arrived (uploaded by a
supplier, delivered by the access point, or dropped in the inbox folder):
the original bytes, stored unchanged with their SHA-256, what the portal
read from it and what became of it. Nothing inbound is ever dropped: a
document that cannot be read, validated or routed stays here with its
problems and reason. ``JpPintUpload`` is one upload by a supplier (an XML
file or a ZIP of several), checked and previewed before anything is
imported, all or nothing, like the CSV upload.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from invoices.models import Invoice
from municipality.models import Department, Municipality
from partners.models import Supplier


class InboundSource(models.TextChoices):
    UPLOAD = "upload", _("アップロード")
    ACCESS_POINT = "access_point", _("アクセスポイント")
    DIRECTORY = "directory", _("受信フォルダ")


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("受信")
    IMPORTED = "imported", _("取り込み済")
    UNKNOWN_ADDRESSEE = "unknown_addressee", _("宛先不明")
    REJECTED = "rejected", _("受取拒否")
    FAILED = "failed", _("取り込み不可")


def inbound_upload_to(document, filename):
    return f"peppol/inbound/{secrets.token_hex(16)}.xml"


class InboundDocument(models.Model):
    """One received JP PINT document, its original kept unchanged.

    Scoped by municipality like all city data. A document whose buyer is
    not (yet) a municipality of the portal has no municipality: only
    platform administrators see it (Django admin, scopes disabled).
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_documents",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("宛先部署"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("受信経路"), max_length=20, choices=InboundSource)
    file = models.FileField(_("原本（XML）"), upload_to=inbound_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    filename = models.CharField(_("ファイル名"), max_length=200)
    sender_scheme = models.CharField(_("送信者のスキーム"), max_length=10, blank=True)
    sender_id = models.CharField(_("送信者のID"), max_length=100, blank=True)
    buyer_scheme = models.CharField(_("宛先のスキーム"), max_length=10, blank=True)
    buyer_id = models.CharField(_("宛先のID"), max_length=100, blank=True)
    buyer_reference = models.CharField(
        _("BuyerReference（部署コード）"), max_length=100, blank=True
    )
    seller_registration_number = models.CharField(
        _("売り手の登録番号"), max_length=20, blank=True
    )
    seller_name = models.CharField(_("売り手の名称"), max_length=200, blank=True)
    document_number = models.CharField(_("請求書番号"), max_length=100, blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=InboundStatus, default=InboundStatus.RECEIVED
    )
    problems = models.JSONField(_("問題点"), default=list, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("請求書"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_documents",
    )
    reason = models.TextField(_("受取拒否・取り込み不可の理由"), blank=True)
    rejection_action = models.CharField(
        _("求める対応（Invoice Response）"), max_length=3, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("対応した人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("アップロードした人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("受信日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("受信したデジタルインボイス")
        verbose_name_plural = _("受信したデジタルインボイス")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InboundStatus.values),
                name="inbound_document_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=InboundSource.values),
                name="inbound_document_source_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="imported") | Q(invoice__isnull=False),
                name="inbound_document_imported_has_invoice",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "status"])]

    def __str__(self):
        return f"{self.document_number or self.filename}（{self.get_status_display()}）"

    @property
    def sender(self) -> str:
        return f"{self.sender_scheme}:{self.sender_id}" if self.sender_id else ""

    @property
    def buyer(self) -> str:
        return f"{self.buyer_scheme}:{self.buyer_id}" if self.buyer_id else ""


class UploadStatus(models.TextChoices):
    READY = "ready", _("確認済（取り込み待ち）")
    INVALID = "invalid", _("誤りあり")
    IMPORTING = "importing", _("取り込み中")
    DONE = "done", _("取り込み済")
    FAILED = "failed", _("取り込み失敗")


def pint_upload_to(upload, filename):
    extension = "zip" if filename.lower().endswith(".zip") else "xml"
    return f"peppol/uploads/{upload.supplier_id}/{secrets.token_hex(16)}.{extension}"


class JpPintUpload(models.Model):
    """A supplier's upload of JP PINT XML (one file, or a ZIP of several):
    the stored file, its preview, and what it created once confirmed."""

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="pint_uploads",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("アップロードした人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(_("ファイル"), upload_to=pint_upload_to)
    filename = models.CharField(_("ファイル名"), max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    status = models.CharField(_("状態"), max_length=12, choices=UploadStatus)
    preview = models.JSONField(_("確認結果"), default=dict, blank=True)
    result = models.JSONField(_("取り込み結果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("デジタルインボイスのアップロード")
        verbose_name_plural = _("デジタルインボイスのアップロード")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=UploadStatus.values),
                name="pint_upload_status_valid",
            ),
            models.UniqueConstraint(
                fields=["supplier", "sha256"],
                condition=Q(status="done"),
                name="pint_upload_once_per_file",
            ),
        ]

    def __str__(self):
        return f"{self.filename}（{self.get_status_display()}）"
