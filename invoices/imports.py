"""CSV bulk uploads (一括アップロード): the upload record's services.

An upload is stored with its SHA-256, checked (a short file at once in the
request, a long one by ``invoice_import_validate_task`` with a progress
bar), and, once the supplier confirms, imported all or nothing by
``invoice_import_run_task``. ``csv_parse`` and ``csv_import`` need no scope,
so nothing here enters one.
"""

import dataclasses
import hashlib
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, gettext_noop, pgettext

from accounts.models import User
from invoices import tasks
from invoices.csv_import import (
    CsvImportError,
    ParseResult,
    RowError,
    csv_import,
    csv_issue_problems,
    csv_parse,
    preview_json,
)
from invoices.models import ImportStatus, InvoiceImport
from partners.models import Supplier

# Files up to this many lines are checked in the request; longer ones by a
# task, with a progress bar.
IMPORT_INLINE_LINES = 500
# Marked with gettext_noop and translated where it is used: a plain str.
IMPORT_CRASHED = gettext_noop(
    "処理中にシステムの問題が起きたため、何も取り込んでいません。"
    "システム管理者に通知されています。時間をおいて、もう一度アップロードして"
    "ください。"
)
_PROGRESS_KEY = "invoice-import-progress:{}"
_PROGRESS_TTL = 60 * 60


class ImportAlreadyStartedError(Exception):
    """The upload was confirmed before (a second click)."""


def _already_done(*, supplier: Supplier, sha256: str) -> InvoiceImport | None:
    """The supplier's finished import of the same content, if any."""
    return InvoiceImport.objects.filter(
        supplier=supplier, sha256=sha256, status=ImportStatus.DONE
    ).first()


def invoice_import_create(
    *, supplier: Supplier, actor: User, name: str, data: bytes, issue: bool
) -> InvoiceImport:
    """Store an uploaded CSV file and have it checked by
    ``invoice_import_validate_task``: a short file at once, in this process
    (so a crash is recorded as for a long one), a long one after commit.

    Raises ``ValidationError`` when the same content was imported before.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    if earlier := _already_done(supplier=supplier, sha256=sha256):
        when = timezone.localtime(earlier.finished_at)
        raise ValidationError(
            gettext(
                "同じ内容のファイル（%(name)s）は%(time)sに"
                "取り込み済みです。二重に取り込まないよう、受け付けませんでした。"
            )
            % {
                "name": earlier.filename,
                "time": date_format(when, pgettext("date format", "Y年m月d日 H:i")),
            }
        )
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    with transaction.atomic():
        upload = InvoiceImport(
            supplier=supplier,
            created_by=actor,
            filename=name[-200:],
            sha256=sha256,
            size=len(data),
            issue=issue,
            progress_total=lines,
        )
        upload.file.save("upload.csv", ContentFile(data), save=False)
        upload.save()
        if lines > IMPORT_INLINE_LINES:
            transaction.on_commit(
                partial(tasks.invoice_import_validate_task.delay, import_id=upload.pk)
            )
    if lines <= IMPORT_INLINE_LINES:
        tasks.invoice_import_validate_task.apply(kwargs={"import_id": upload.pk})
        upload.refresh_from_db()
    return upload


def _locked(import_id: int) -> InvoiceImport:
    return (
        InvoiceImport.objects.select_for_update(of=("self",))
        .select_related("supplier", "created_by")
        .get(pk=import_id)
    )


def _read(upload: InvoiceImport) -> bytes:
    with upload.file.open("rb") as f:
        return f.read()


def _errors_json(errors) -> list[dict]:
    """Problems in the form of ``preview_json``'s."""
    return preview_json(ParseResult("", 0, (), tuple(errors)))["errors"]


def _progress_saver(import_id: int):
    """Progress while checking: a one-row UPDATE outside any transaction,
    seen at once by the page (``csv_parse`` reports every 200 lines)."""

    def save(done: int, total: int) -> None:
        InvoiceImport.objects.filter(pk=import_id).update(
            progress_done=done, progress_total=total
        )

    return save


def _progress_cacher(import_id: int):
    """Progress while importing: the import's transaction holds the row and
    nothing it writes is seen before it commits, so the page reads the
    progress from the cache (shared with the workers through Redis)."""

    def save(done: int, total: int) -> None:
        cache.set(_PROGRESS_KEY.format(import_id), (done, total), _PROGRESS_TTL)

    return save


def invoice_import_progress(upload: InvoiceImport) -> tuple[int, int]:
    """(lines done, lines in all) of a check or an import."""
    stored = (upload.progress_done, upload.progress_total)
    if upload.status == ImportStatus.IMPORTING:
        return tuple(cache.get(_PROGRESS_KEY.format(upload.pk), stored))
    return stored


def invoice_import_validate(*, import_id: int) -> InvoiceImport:
    """Check the stored file (``csv_parse``; for an upload to be issued,
    also what would keep its invoices from being issued) and keep the
    preview: ready to import, or invalid with every problem. A second run
    finds the check done and changes nothing."""
    with transaction.atomic():
        upload = _locked(import_id)
        if upload.status != ImportStatus.VALIDATING:
            return upload
    # Outside a transaction, so that the progress is seen as it goes.
    result = csv_parse(
        data=_read(upload),
        supplier=upload.supplier,
        progress=_progress_saver(import_id),
    )
    if result.ok and upload.issue:
        result = dataclasses.replace(
            result,
            errors=csv_issue_problems(result=result, supplier=upload.supplier),
        )
    with transaction.atomic():
        upload = _locked(import_id)
        if upload.status != ImportStatus.VALIDATING:
            return upload  # a concurrent run finished first
        upload.encoding = result.encoding
        upload.preview = preview_json(result)
        upload.progress_done = upload.progress_total = result.line_count
        upload.status = ImportStatus.READY if result.ok else ImportStatus.INVALID
        upload.save()
    return upload


@transaction.atomic
def invoice_import_confirm(*, upload: InvoiceImport) -> InvoiceImport:
    """Start importing a checked upload (``invoice_import_run_task`` after
    commit). Raises ``ImportAlreadyStartedError`` unless it is ready, so a
    second click imports nothing twice."""
    upload = _locked(upload.pk)
    if upload.status != ImportStatus.READY:
        raise ImportAlreadyStartedError
    upload.status = ImportStatus.IMPORTING
    upload.progress_done = 0
    upload.save(update_fields=["status", "progress_done"])
    transaction.on_commit(
        partial(tasks.invoice_import_run_task.delay, import_id=upload.pk)
    )
    return upload


def invoice_import_run(*, import_id: int) -> InvoiceImport:
    """Create the upload's invoices (``csv_import``, which parses the file
    again) and record the outcome in the same transaction: done with the
    invoices' ids, or failed with the problems and nothing created. The row
    stays locked throughout, so a second run waits, then finds it done."""
    with transaction.atomic():
        upload = _locked(import_id)
        if upload.status != ImportStatus.IMPORTING:
            return upload
        try:
            invoices = csv_import(
                data=_read(upload),
                supplier=upload.supplier,
                actor=upload.created_by,
                issue=upload.issue,
                progress=_progress_cacher(import_id),
            )
        except CsvImportError as error:
            upload.status = ImportStatus.FAILED
            upload.result = {"errors": _errors_json(error.errors)}
        else:
            upload.status = ImportStatus.DONE
            upload.result = {
                "invoice_ids": [invoice.pk for invoice in invoices],
                "count": len(invoices),
            }
            upload.progress_done = upload.progress_total
        upload.finished_at = timezone.now()
        upload.save()
    cache.delete(_PROGRESS_KEY.format(import_id))
    return upload


def invoice_import_crashed(*, import_id: int) -> None:
    """Record that a check or an import stopped on an unexpected error (its
    transaction rolled back, so nothing was created)."""
    InvoiceImport.objects.filter(
        pk=import_id,
        status__in=[ImportStatus.VALIDATING, ImportStatus.IMPORTING],
    ).update(
        status=ImportStatus.FAILED,
        result={
            "errors": _errors_json([RowError(None, "", "", gettext(IMPORT_CRASHED))])
        },
        finished_at=timezone.now(),
    )
