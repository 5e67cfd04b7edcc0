"""Uploads of JP PINT XML by suppliers (デジタルインボイスのアップロード).

One XML file, or a ZIP of several, is stored with its SHA-256 and checked
at once (``inbound_check`` for every document): the preview lists every
invoice it would create, or every problem with the official rule ID kept
for experts. Nothing is imported until the supplier confirms; then every
document is received (``inbound_receive``) in one transaction, all or
nothing, as the CSV upload does. A second click, or the same file again
after it was imported, imports nothing twice.

A ZIP is read with limits on the number of members, the size of each and
their total once unpacked (a ZIP bomb stops at the limit, whatever its
headers claim); members that are folders, hidden files or not ``.xml`` are
refused, and names are only shown, never used as paths.
"""

import hashlib
import io
import zipfile
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext, pgettext
from django_scopes import scopes_disabled

from accounts.models import User
from partners.models import Supplier
from peppol.inbound import CheckResult, inbound_check, inbound_receive
from peppol.models import InboundDocument, InboundStatus, JpPintUpload, UploadStatus
from peppol.validation import max_document_bytes

UPLOAD_MAX_MB = 20
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024
ZIP_MAX_MEMBERS = 100
ZIP_MAX_TOTAL_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024


class UploadRejectedError(Exception):
    """The file as a whole cannot be read; the message says why."""


class UploadAlreadyStartedError(Exception):
    """The upload was confirmed before (a second click)."""


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, reading no more than the limits allow (the
    sizes in the ZIP's headers are not trusted)."""
    limit = min(max_document_bytes(), budget)
    data = bytearray()
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            data += chunk
            if len(data) > limit:
                raise UploadRejectedError(
                    gettext(
                        "ZIPの中の「%(name)s」は展開すると大きすぎます（1ファイル"
                        "%(each)sMBまで、合計%(total)sMBまで）。ZIPを分けてアップロード"
                        "してください。"
                    )
                    % {
                        "name": info.filename[:100],
                        "each": max_document_bytes() // (1024 * 1024),
                        "total": ZIP_MAX_TOTAL_BYTES // (1024 * 1024),
                    }
                )
    return bytes(data)


def upload_documents(*, name: str, data: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of every XML document of the upload: the file itself,
    or the ``.xml`` members of a ZIP. Raises ``UploadRejectedError``."""
    if not data.startswith(b"PK\x03\x04"):
        if name.lower().endswith(".zip"):
            raise UploadRejectedError(
                gettext("ZIPファイルとして読み取れません。ファイルを確認してください。")
            )
        return [(name, data)]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise UploadRejectedError(
            gettext("ZIPファイルとして読み取れません。ファイルを確認してください。")
        ) from error
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > ZIP_MAX_MEMBERS:
            raise UploadRejectedError(
                gettext(
                    "ZIPの中のファイルが多すぎます（%(n)s件）。1つのZIPは%(max)s件"
                    "までにしてください。"
                )
                % {"n": len(members), "max": ZIP_MAX_MEMBERS}
            )
        documents = []
        budget = ZIP_MAX_TOTAL_BYTES
        for info in members:
            member_name = info.filename.replace("\\", "/")
            base = member_name.rsplit("/", 1)[-1]
            if (
                member_name.startswith("/")
                or ".." in member_name.split("/")
                or ":" in member_name
                or base.startswith(".")
                or not base.lower().endswith(".xml")
                or info.flag_bits & 0x1  # encrypted
            ):
                raise UploadRejectedError(
                    gettext(
                        "ZIPの中の「%(name)s」は受け付けられません。ZIPにはJP PINTの"
                        "XMLファイル（.xml）だけを、フォルダに入れずに入れてください。"
                    )
                    % {"name": member_name[:100]}
                )
            try:
                content = _read_member(archive, info, budget)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                raise UploadRejectedError(
                    gettext(
                        "ZIPの中の「%(name)s」を展開できません。ZIPを作り直してください。"
                    )
                    % {"name": member_name[:100]}
                ) from error
            budget -= len(content)
            documents.append((base[-200:], content))
    if not documents:
        raise UploadRejectedError(
            gettext("ZIPにXMLファイルがありません。JP PINTのXMLを入れてください。")
        )
    return documents


def _invoice_json(result: CheckResult) -> dict:
    document = result.document
    totals = result.totals
    return {
        "filename": result.filename,
        "number": document.number,
        "municipality": result.municipality.name,
        "department": result.department.name,
        "issue_date": document.issue_date.isoformat(),
        "line_count": len(result.lines),
        "subtotal": str(totals.subtotal),
        "tax_total": str(totals.tax_total),
        "total": str(totals.total),
        "buckets": [
            {
                "category": b.category,
                "taxable": str(b.taxable_amount),
                "tax": str(b.tax_amount),
            }
            for b in totals.buckets
        ],
    }


def _when(moment) -> str:
    return dateformat.format(
        timezone.localtime(moment), pgettext("date format", "Y年m月d日 H:i")
    )


def _duplicate_error(name: str, xml: bytes) -> dict | None:
    """A problem when the same bytes were received before (by any path)."""
    sha256 = hashlib.sha256(xml).hexdigest()
    with scopes_disabled():
        earlier = InboundDocument.objects.filter(sha256=sha256).first()
    if earlier is None:
        return None
    return {
        "filename": name,
        "rule": "portal-duplicate",
        "message": gettext(
            "同じ内容の文書は%(when)sに受け付け済みです（%(status)s）。"
            "二重に取り込まないよう、受け付けませんでした。"
        )
        % {
            "when": _when(earlier.created_at),
            "status": earlier.get_status_display(),
        },
    }


def upload_check(*, supplier: Supplier, documents: list[tuple[str, bytes]]) -> dict:
    """The preview: every invoice, or every problem (file, rule, message)."""
    invoices, errors, seen = [], [], {}
    for name, xml in documents:
        if duplicate := _duplicate_error(name, xml):
            errors.append(duplicate)
            continue
        result = inbound_check(xml=xml, filename=name, supplier=supplier)
        for problem in result.problems:
            errors.append({"filename": name, **problem})
        for reason in result.unknown:
            errors.append(
                {"filename": name, "rule": "portal-addressee", "message": reason}
            )
        number = result.document.number if result.document else ""
        if number and number in seen:
            errors.append(
                {
                    "filename": name,
                    "rule": "portal-number-taken",
                    "message": gettext(
                        "請求書番号 %(number)s が「%(other)s」と重なっています。"
                        "同じ番号の請求書は1つだけにしてください。"
                    )
                    % {"number": number, "other": seen[number]},
                    "location": "cbc:ID",
                }
            )
        seen.setdefault(number, name)
        if result.importable and not errors:
            invoices.append(_invoice_json(result))
    return {
        "document_count": len(documents),
        "ok": not errors,
        "invoices": invoices if not errors else [],
        "total": str(sum((Decimal(i["total"]) for i in invoices), Decimal(0))),
        "errors": errors,
    }


def pint_upload_create(
    *, supplier: Supplier, actor: User, name: str, data: bytes
) -> JpPintUpload:
    """Store an upload and check it. Raises ``ValidationError`` when the
    same content was imported before."""
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = JpPintUpload.objects.filter(
        supplier=supplier, sha256=sha256, status=UploadStatus.DONE
    ).first()
    if earlier:
        raise ValidationError(
            gettext(
                "同じ内容のファイル（%(name)s）は%(when)sに取り込み済みです。"
                "二重に取り込まないよう、受け付けませんでした。"
            )
            % {"name": earlier.filename, "when": _when(earlier.finished_at)}
        )
    try:
        preview = upload_check(
            supplier=supplier, documents=upload_documents(name=name, data=data)
        )
    except UploadRejectedError as error:
        preview = {
            "document_count": 0,
            "ok": False,
            "invoices": [],
            "total": "0",
            "errors": [{"filename": name, "rule": "ZIP", "message": str(error)}],
        }
    upload = JpPintUpload(
        supplier=supplier,
        created_by=actor,
        filename=name[-200:],
        sha256=sha256,
        size=len(data),
        status=UploadStatus.READY if preview["ok"] else UploadStatus.INVALID,
        preview=preview,
    )
    upload.file.save(name[-50:] or "upload.xml", ContentFile(data), save=False)
    upload.save()
    return upload


def _read(upload: JpPintUpload) -> bytes:
    with upload.file.open("rb") as f:
        return f.read()


class _RollbackError(Exception):
    def __init__(self, errors):
        self.errors = errors


def pint_upload_confirm(*, upload: JpPintUpload) -> JpPintUpload:
    """Import every document of a checked upload, all or nothing. Raises
    ``UploadAlreadyStartedError`` unless it is ready (a second click)."""
    with transaction.atomic():
        upload = JpPintUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.status != UploadStatus.READY:
            raise UploadAlreadyStartedError
        upload.status = UploadStatus.IMPORTING
        upload.save(update_fields=["status"])
        try:
            with transaction.atomic():
                documents = upload_documents(name=upload.filename, data=_read(upload))
                received = []
                for name, xml in documents:
                    if duplicate := _duplicate_error(name, xml):
                        raise _RollbackError([duplicate])
                    document = inbound_receive(
                        xml=xml,
                        filename=name,
                        source="upload",
                        supplier=upload.supplier,
                        actor=upload.created_by,
                    )
                    if document.status != InboundStatus.IMPORTED:
                        # Checked in the preview; changed since (e.g. the
                        # connection was closed): nothing is kept.
                        raise _RollbackError(
                            [
                                {"filename": name, **p}
                                for p in document.problems
                                if not p.get("warning")
                            ]
                            or [
                                {
                                    "filename": name,
                                    "rule": "portal-addressee",
                                    "message": document.reason,
                                }
                            ]
                        )
                    received.append(document)
        except (_RollbackError, UploadRejectedError) as error:
            upload.status = UploadStatus.FAILED
            upload.result = {
                "errors": error.errors
                if isinstance(error, _RollbackError)
                else [
                    {"filename": upload.filename, "rule": "ZIP", "message": str(error)}
                ]
            }
        else:
            upload.status = UploadStatus.DONE
            upload.result = {
                "invoice_ids": [d.invoice_id for d in received],
                "document_ids": [d.pk for d in received],
                "count": len(received),
            }
        upload.finished_at = timezone.now()
        upload.save()
    return upload
