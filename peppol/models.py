"""Peppol documents the portal receives and sends.

``InboundDocument`` is one JP PINT document as it arrived (uploaded by a
supplier, delivered by the access point, or dropped in the inbox folder):
the original bytes, stored unchanged with their SHA-256, what the portal
read from it and what became of it. Nothing inbound is ever dropped: a
document that cannot be read, validated or routed stays here with its
problems and reason. ``JpPintUpload`` is one upload by a supplier (an XML
file or a ZIP of several), checked and previewed before anything is
imported, all or nothing, like the CSV upload.
"""

import re
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
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


# Access point ---------------------------------------------------------------

# 0188 = 法人番号 (13 digits), 0221 = 適格請求書発行事業者登録番号 (T + 13).
PARTICIPANT_ID_RE = re.compile(r"^(0188:\d{13}|0221:T\d{13})$")


def validate_participant_id(value: str) -> None:
    if not PARTICIPANT_ID_RE.match(value):
        raise ValidationError(
            _(
                "PeppolIDは「0188:法人番号13桁」または「0221:T＋13桁」の形で"
                "入力してください（例: 0188:4000020462039）。"
            )
        )


def directory_allowed(directory: str) -> bool:
    """Whether the folder lies under ``PEPPOL_EXCHANGE_ROOT`` (symbolic
    links and ``..`` resolved)."""
    if not directory.startswith("/"):
        return False
    root = Path(settings.PEPPOL_EXCHANGE_ROOT).resolve()
    return Path(directory).resolve().is_relative_to(root)


class AccessPointKind(models.TextChoices):
    """How the portal reaches the city's Peppol access point (C2/C3)."""

    NONE = "none", _("使わない")
    LOOPBACK = "loopback", _("ループバック（試験用・ネットワークに出ない）")
    DIRECTORY = "directory", _("フォルダ連携（outbox / inbox）")


class AccessPointSettings(models.Model):
    """The municipality's Peppol participation: its participant ID
    (``0188:<法人番号>`` for a local government) and the adapter that hands
    documents to its certified access point provider, who does AS4, SBDH
    routing, SMP and MLS."""

    municipality = models.OneToOneField(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.CASCADE,
        related_name="access_point_settings",
    )
    participant_id = models.CharField(
        _("PeppolID"),
        max_length=20,
        validators=[validate_participant_id],
        help_text=_("自治体のPeppol参加者ID。通常は 0188:法人番号。"),
    )
    kind = models.CharField(
        _("接続方式"),
        max_length=10,
        choices=AccessPointKind,
        default=AccessPointKind.NONE,
    )
    directory = models.CharField(
        _("連携フォルダ"),
        max_length=500,
        blank=True,
        help_text=_(
            "フォルダ連携のとき、アクセスポイント事業者と共有するフォルダの絶対パス。"
            "この下に outbox/ と inbox/ を使います。"
        ),
    )
    enabled = models.BooleanField(
        _("有効"),
        default=False,
        help_text=_(
            "有効にすると、受信の取り込みとインボイスレスポンスの送信を行います。"
        ),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("アクセスポイントの設定")
        verbose_name_plural = _("アクセスポイントの設定")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccessPointKind.values),
                name="peppol_ap_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=AccessPointKind.DIRECTORY) | ~Q(directory=""),
                name="peppol_ap_directory_needs_path",
            ),
        ]

    def __str__(self):
        return f"{self.municipality} ({self.participant_id})"

    def clean(self):
        if self.kind == AccessPointKind.DIRECTORY and not self.directory:
            raise ValidationError(
                {
                    "directory": _(
                        "フォルダ連携には連携フォルダのパスを入力してください。"
                    )
                }
            )
        if self.directory and not directory_allowed(self.directory):
            raise ValidationError(
                {
                    "directory": _(
                        "連携フォルダは %(root)s の下のフォルダを絶対パスで"
                        "入力してください（例: %(root)s/kanoya）。"
                    )
                    % {"root": settings.PEPPOL_EXCHANGE_ROOT}
                }
            )

    @property
    def is_active(self) -> bool:
        return self.enabled and self.kind != AccessPointKind.NONE


class MessageStatus(models.TextChoices):
    """Where an outgoing message is (MLS and the provider's own tracking
    are behind the adapter's ``status``)."""

    QUEUED = "queued", _("送信待ち")
    SENT = "sent", _("アクセスポイントに引渡し済み")
    DELIVERED = "delivered", _("配信済み")
    FAILED = "failed", _("送信失敗")


class ResponseCode(models.TextChoices):
    """Invoice Response (T111) status codes the portal sends (UNCL4343
    subset, reference §5.2)."""

    AB = "AB", _("受領（AB）")
    RE = "RE", _("差戻し（RE）")
    AP = "AP", _("承認（AP）")
    PD = "PD", _("支払済（PD）")


class OutgoingMessage(models.Model):
    """A document the portal handed (or will hand) to the city's access
    point: the XML exactly as sent, its envelope data and its delivery
    status. At most one response of each code per invoice (or per inbound
    document refused before it became an invoice)."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("請求書"),
        on_delete=models.PROTECT,
        related_name="peppol_messages",
        null=True,
        blank=True,
    )
    subject = models.CharField(
        _("対象"),
        max_length=60,
        help_text=_("応答の対象（invoice:<id> または inbound:<id>）。"),
    )
    response_code = models.CharField(
        _("応答コード"), max_length=2, choices=ResponseCode, blank=True
    )
    document_type = models.CharField(_("文書タイプID"), max_length=300)
    process = models.CharField(_("プロセスID"), max_length=200)
    sender = models.CharField(_("送信者ID"), max_length=40)
    receiver = models.CharField(_("受信者ID"), max_length=40)
    instance_id = models.UUIDField(
        _("インスタンスID"), default=uuid.uuid4, unique=True, editable=False
    )
    xml = models.BinaryField(_("XML"), editable=False)
    message_id = models.CharField(_("メッセージID"), max_length=200, blank=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=MessageStatus, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("引渡し日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("Peppol送信メッセージ")
        verbose_name_plural = _("Peppol送信メッセージ")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "subject", "response_code"],
                condition=~Q(response_code=""),
                name="peppol_one_response_per_code",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values),
                name="peppol_message_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.response_code or self.document_type} → {self.receiver}"


class LoopbackDirection(models.TextChoices):
    OUT = "out", _("送信")
    IN = "in", _("受信")


class LoopbackMessage(models.Model):
    """The loopback access point's store: what it "sent" and what waits in
    its inbox. No network; used in tests and demonstrations."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    direction = models.CharField(_("方向"), max_length=3, choices=LoopbackDirection)
    message_id = models.CharField(_("メッセージID"), max_length=100, unique=True)
    sender = models.CharField(_("送信者ID"), max_length=40, blank=True)
    receiver = models.CharField(_("受信者ID"), max_length=40, blank=True)
    document_type = models.CharField(_("文書タイプID"), max_length=300, blank=True)
    process = models.CharField(_("プロセスID"), max_length=200, blank=True)
    filename = models.CharField(_("ファイル名"), max_length=200, blank=True)
    xml = models.BinaryField(_("XML"))
    done_at = models.DateTimeField(_("処理日時"), null=True, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("ループバックのメッセージ")
        verbose_name_plural = _("ループバックのメッセージ")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.message_id
