"""ZIPs of invoices' documents too large to build while the user waits
(more than ``settings.INVOICE_ZIP_INLINE_LIMIT`` invoices): a ``ZipExport``
is asked for, built by a Celery task into storage with its progress counted,
and downloaded from its page, every download recorded in the history of
each issued invoice in it. ``invoices.archive`` builds the file itself.

A city job runs in its municipality's scope (``zip_export_build_task``, a
``TenantTask``), a supplier job in the scope of the supplier's
municipalities (``supplier_zip_export_build_task``, a ``SupplierTask``).
Jobs of suppliers belong to no municipality, so the reads here lift the
tenant scope and always filter by the job's owner instead.
"""

import hashlib
import tempfile
from datetime import timedelta
from functools import partial
from itertools import islice

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from accounts.models import User
from invoices import tasks
from invoices.archive import archive_iterate, invoices_zip_write
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceStatus,
    ZipExport,
    ZipExportStatus,
)
from invoices.services.records import invoices_record_export
from municipality.models import Municipality
from partners.models import Supplier

# The same invoices asked for again within this time get the job asked for
# before (a reload of the export link starts no second job).
REUSE_WITHIN = timedelta(hours=1)
IN_PROGRESS = (ZipExportStatus.PENDING, ZipExportStatus.RUNNING)
RECORDED_AS = "zip"
_CHUNK = 1024 * 1024
_RECORD_CHUNK = 1000  # invoices recorded at a time


def _jobs() -> QuerySet[ZipExport]:
    return ZipExport.objects.with_scopes_disabled()


def _selection(invoice_ids: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, invoice_ids)).encode()).hexdigest()


def _dispatch(job: ZipExport) -> None:
    if job.municipality_id:
        task = partial(
            tasks.zip_export_build_task.delay,
            job_id=job.pk,
            municipality_id=job.municipality_id,
        )
    else:
        task = partial(
            tasks.supplier_zip_export_build_task.delay,
            job_id=job.pk,
            supplier_id=job.supplier_id,
        )
    transaction.on_commit(task)


@transaction.atomic
def zip_export_create(
    *,
    actor: User,
    invoice_ids: list[int],
    municipality: Municipality | None = None,
    supplier: Supplier | None = None,
) -> ZipExport:
    """Ask for the ZIP of ``invoice_ids`` for ``actor``, as a city's job
    (``municipality``) or a supplier's (``supplier``); a task builds it
    after commit. The same invoices asked for by the same user within
    ``REUSE_WITHIN`` get the earlier job unless it failed. The caller
    chose the ids through what ``actor`` may see."""
    if (municipality is None) == (supplier is None):
        raise ValueError("A ZIP export belongs to a municipality or a supplier.")
    ids = sorted(set(invoice_ids))
    owner = {"municipality": municipality, "supplier": supplier}
    selection = _selection(ids)
    earlier = (
        _jobs()
        .filter(
            **owner,
            created_by=actor,
            selection=selection,
            created_at__gte=timezone.now() - REUSE_WITHIN,
        )
        .exclude(status=ZipExportStatus.FAILED)
        .first()
    )
    if earlier is not None:
        return earlier
    job = ZipExport.objects.create(
        **owner,
        created_by=actor,
        invoice_ids=ids,
        selection=selection,
        progress_total=len(ids),
    )
    _dispatch(job)
    return job


def zip_export_invoices(job: ZipExport) -> QuerySet[Invoice]:
    """The job's invoices, still its owner's, in receipt-number order."""
    invoices = Invoice.objects.filter(pk__in=job.invoice_ids)
    if job.municipality_id:
        invoices = invoices.filter(municipality_id=job.municipality_id)
    else:
        invoices = invoices.filter(supplier_id=job.supplier_id)
    return invoices.order_by("municipality_id", "receipt_number", "pk")


def _locked(job_id: int) -> ZipExport:
    return (
        _jobs()
        .select_for_update(of=("self",))
        .select_related("created_by")
        .get(pk=job_id)
    )


def _progress_saver(job_id: int):
    """Progress while building: a one-row UPDATE outside any transaction,
    seen at once by the page."""

    def save(done: int, total: int) -> None:
        _jobs().filter(pk=job_id).update(progress_done=done, progress_total=total)

    return save


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def zip_export_build(*, job_id: int) -> ZipExport:
    """Build the job's ZIP and store it. A job already built (or failed)
    is left as it is; a job cut short (a worker lost mid-way) is built
    again from the start. The index is written in the language of the
    user who asked."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status not in IN_PROGRESS:
            return job
        job.status = ZipExportStatus.RUNNING
        job.progress_done = 0
        job.save(update_fields=["status", "progress_done"])
    language = job.created_by.language or settings.LANGUAGE_CODE
    # Outside a transaction, so that the progress is seen as it goes.
    invoices = zip_export_invoices(job)
    with translation.override(language), tempfile.TemporaryFile() as out:
        invoices_zip_write(
            archive_iterate(invoices),
            out,
            progress=_progress_saver(job_id),
            total=invoices.count(),
        )
        size = out.tell()
        sha256 = _sha256(out)
        with transaction.atomic():
            job = _locked(job_id)
            if job.status != ZipExportStatus.RUNNING:
                return job  # a concurrent run finished first
            job.file.save("invoices.zip", File(out), save=False)
            job.sha256 = sha256
            job.size = size
            job.status = ZipExportStatus.READY
            job.progress_done = job.progress_total
            job.finished_at = timezone.now()
            job.save()
    return job


def zip_export_failed(*, job_id: int, error: str) -> None:
    """Record that building stopped on an error (retries used up, or an
    error not worth one); the page says so and offers to ask again."""
    _jobs().filter(pk=job_id, status__in=IN_PROGRESS).update(
        status=ZipExportStatus.FAILED,
        error=error[:2000],
        finished_at=timezone.now(),
    )


@transaction.atomic
def zip_export_record_download(*, job: ZipExport, actor: User) -> None:
    """Record a download of the job's file in the history of each issued
    invoice in it (drafts have no history), with the file's SHA-256: a
    chunk of invoices at a time, reading only what the history needs."""
    invoices = (
        zip_export_invoices(job)
        .exclude(status=InvoiceStatus.DRAFT)
        .only("status", "municipality_id", "content_hash")
        .iterator(chunk_size=_RECORD_CHUNK)
    )
    while chunk := list(islice(invoices, _RECORD_CHUNK)):
        invoices_record_export(
            invoices=chunk,
            actor=actor,
            kind=EventKind.DOWNLOADED,
            data={"format": RECORDED_AS, "sha256": job.sha256},
        )


def zip_exports_expire() -> int:
    """Delete the ZIP exports (file and row) asked for longer ago than
    ``settings.INVOICE_ZIP_KEEP_DAYS``: they are copies of stored documents,
    made to be downloaded, and their downloads are already in each
    invoice's history. Returns how many went. Run daily by Celery beat."""
    before = timezone.now() - timedelta(days=settings.INVOICE_ZIP_KEEP_DAYS)
    expired = 0
    for job in _jobs().filter(created_at__lt=before).exclude(status__in=IN_PROGRESS):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        expired += 1
    return expired
