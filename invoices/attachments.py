"""Attachments of an invoice (添付書類): PDF, images and Office documents,
judged by their content and never by their name, stored with their SHA-256
and served only through views that check who may see them.

Only a draft's attachments can be added or removed (``DraftOnlyMixin``);
once issued they stay with the invoice.
"""

import hashlib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import User
from invoices.models import FrozenInvoiceError, Invoice, InvoiceAttachment
from invoices.services.drafts import LineInput, invoice_draft_delete, invoice_draft_save
from invoices.workflow import invoice_lock
from partners.images import image_format_sniff
from partners.models import Connection, Supplier

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class AttachmentKind:
    content_type: str
    extensions: tuple[str, ...]  # the first one names files saved as this kind


PDF = AttachmentKind("application/pdf", ("pdf",))
PNG = AttachmentKind("image/png", ("png",))
JPEG = AttachmentKind("image/jpeg", ("jpg", "jpeg"))
GIF = AttachmentKind("image/gif", ("gif",))
DOCX = AttachmentKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = AttachmentKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
)
PPTX = AttachmentKind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ("pptx",),
)
DOC = AttachmentKind("application/msword", ("doc",))
XLS = AttachmentKind("application/vnd.ms-excel", ("xls",))

KINDS = (PDF, PNG, JPEG, GIF, DOCX, XLSX, PPTX, DOC, XLS)
# For the file chooser only; the server decides by content.
ATTACHMENT_ACCEPT = ",".join(f".{ext}" for kind in KINDS for ext in kind.extensions)

_IMAGE_KINDS = {"PDF": PDF, "PNG": PNG, "JPEG": JPEG, "GIF": GIF}
_ZIP_MAGIC = b"PK\x03\x04"
# Compound File Binary (OLE2): legacy Office files, but also .msi installers.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Main part folders of Office Open XML packages.
_OOXML_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
# Stream names in an OLE2 directory (UTF-16LE), which tell Word from Excel.
_OLE2_STREAMS = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
)
_OLE2_MACROS = "_VBA_PROJECT".encode("utf-16-le")

ALLOWED_TEXT = _("PDF、画像（PNG・JPEG・GIF）、Word・Excel・PowerPoint")


@dataclass(frozen=True)
class CheckedAttachment:
    """An upload that passed ``attachment_check``, ready to be stored."""

    upload: UploadedFile
    kind: AttachmentKind
    name: str
    size: int
    sha256: str


def _not_readable(name: str) -> ValidationError:
    return ValidationError(
        gettext(
            "「%(name)s」は%(allowed)sのファイルとして読み取れません。"
            "これらの形式で保存し直してから添付してください"
            "（拡張子を変えるだけでは形式は変わりません）。"
        )
        % {"name": name, "allowed": ALLOWED_TEXT},
        code="wrong_format",
    )


def _macros(name: str) -> ValidationError:
    return ValidationError(
        gettext(
            "「%(name)s」にはマクロが含まれているため添付できません。"
            "マクロを含まない形式（.docx・.xlsx・.pptx）で保存し直してください。"
        )
        % {"name": name},
        code="macros",
    )


def _ooxml_kind(upload: UploadedFile, name: str) -> AttachmentKind:
    # Only the ZIP directory is read, never decompressed (no zip bombs).
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _not_readable(name) from error
    if "[Content_Types].xml" not in names:
        raise _not_readable(name)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _macros(name)
    for folder, kind in _OOXML_FOLDERS:
        if any(n.startswith(folder) for n in names):
            return kind
    raise _not_readable(name)


def _ole2_kind(data: bytes, name: str) -> AttachmentKind:
    if _OLE2_MACROS in data:
        raise _macros(name)
    for stream, kind in _OLE2_STREAMS:
        if stream in data:
            return kind
    raise _not_readable(name)


def _sniff(upload: UploadedFile, name: str) -> AttachmentKind:
    upload.seek(0)
    head = upload.read(16)
    if (kind := _IMAGE_KINDS.get(image_format_sniff(head) or "")) is not None:
        return kind
    if head.startswith(_ZIP_MAGIC):
        return _ooxml_kind(upload, name)
    if head.startswith(_OLE2_MAGIC):
        upload.seek(0)
        return _ole2_kind(upload.read(), name)
    raise _not_readable(name)


def _stored_name(name: str, kind: AttachmentKind) -> str:
    """``name`` with an extension that matches the content, so that the
    downloaded file opens in the right program (scan.pdf holding a PNG is
    kept as scan.png)."""
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in kind.extensions:
        suffix = f".{extension}"
    else:
        stem, suffix = (stem if dot else name), f".{kind.extensions[0]}"
    # The column holds 200 characters; the extension must survive.
    return stem[: 200 - len(suffix)] + suffix


def attachment_check(upload: UploadedFile) -> CheckedAttachment:
    """Check one uploaded file: at most ``ATTACHMENT_MAX_BYTES``, and by its
    content a PDF, PNG, JPEG, GIF, docx, xlsx, pptx, doc or xls without
    macros. The type comes from the content, whatever the name says.
    Raises ``ValidationError`` naming the file and what to do."""
    name = upload.name
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            gettext(
                "「%(name)s」は%(size)sMBあります。添付できるのは"
                "1ファイル%(max)sMBまでです。"
                "ページを分けるか、解像度を下げて保存し直してください。"
            )
            % {
                "name": name,
                "size": f"{upload.size / (1024 * 1024):.1f}",
                "max": ATTACHMENT_MAX_BYTES // (1024 * 1024),
            },
            code="file_size",
        )
    if not upload.size:
        raise ValidationError(
            gettext(
                "「%(name)s」は空のファイルです。中身のあるファイルを選んでください。"
            )
            % {"name": name},
            code="empty",
        )
    kind = _sniff(upload, name)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    return CheckedAttachment(
        upload=upload,
        kind=kind,
        name=_stored_name(name, kind),
        size=upload.size,
        sha256=digest.hexdigest(),
    )


@transaction.atomic
def attachment_add(
    *, invoice: Invoice, checked: CheckedAttachment
) -> InvoiceAttachment:
    """Store a checked file with the draft. Raises ``FrozenInvoiceError`` if
    the invoice is no longer a draft."""
    invoice = invoice_lock(invoice)
    if not invoice.is_draft:
        raise FrozenInvoiceError
    attachment = InvoiceAttachment(
        invoice=invoice,
        original_name=checked.name,
        content_type=checked.kind.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    checked.upload.seek(0)
    attachment.file.save(
        f"attachment.{checked.kind.extensions[0]}", checked.upload, save=False
    )
    attachment.save()
    return attachment


def _files_remove_on_commit(files: Iterable[FieldFile]) -> None:
    # After commit: a rolled-back deletion must still find its files.
    stored = [(file.storage, file.name) for file in files]

    def remove():
        for storage, name in stored:
            storage.delete(name)

    transaction.on_commit(remove)


@transaction.atomic
def attachment_delete(*, attachment: InvoiceAttachment) -> None:
    """Remove an attachment from a draft; its file goes once that commits.
    Raises ``FrozenInvoiceError`` if the invoice is no longer a draft."""
    attachment.invoice = invoice_lock(attachment.invoice)
    attachment.delete()  # refuses anything but a draft's
    _files_remove_on_commit([attachment.file])


@transaction.atomic
def invoice_draft_save_with_attachments(
    *,
    supplier: Supplier,
    actor: User,
    connection: Connection,
    fields: dict,
    lines: list[LineInput],
    invoice: Invoice | None = None,
    uploads: list[CheckedAttachment],
) -> Invoice:
    """``invoice_draft_save`` and the new attachments, all or nothing."""
    invoice = invoice_draft_save(
        supplier=supplier,
        actor=actor,
        connection=connection,
        fields=fields,
        lines=lines,
        invoice=invoice,
    )
    for checked in uploads:
        attachment_add(invoice=invoice, checked=checked)
    return invoice


@transaction.atomic
def invoice_draft_delete_with_attachments(*, invoice: Invoice, actor: User) -> None:
    """``invoice_draft_delete``, and the attachments' files once it commits."""
    files = [attachment.file for attachment in invoice.attachments.all()]
    invoice_draft_delete(invoice=invoice, actor=actor)
    _files_remove_on_commit(files)


def attachment_response(attachment: InvoiceAttachment) -> FileResponse:
    """The attachment as a download with the content type found at upload.
    The caller decides who may have it; browsers are told not to guess
    another type nor to show it inline."""
    try:
        file = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        file,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
