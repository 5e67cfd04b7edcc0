"""Celery tasks for invoices: thin wrappers that call a service (which makes
them safe to run twice); the tenant's scope is entered by TenantTask (a
municipality) or SupplierTask (a supplier's municipalities)."""

from celery import Task, shared_task

from municipality.tenant_tasks import TRANSIENT_ERRORS, TenantTask
from partners.supplier_tasks import SupplierTask


class PdfTask(TenantTask):
    def record_failure(self, exc, *, invoice_id, **kwargs):
        # Retries used up, or an error not worth one: make it visible (the
        # admin lists failed PDFs with a retry action).
        from invoices.services.pdf import invoice_pdf_failed

        invoice_pdf_failed(invoice_id=invoice_id, error=repr(exc))


@shared_task(
    base=PdfTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def invoice_render_pdf_task(*, invoice_id: int, municipality_id: int) -> None:
    from invoices.services.pdf import invoice_pdf_render

    invoice_pdf_render(invoice_id=invoice_id)


class PdfsTask(TenantTask):
    def record_failure(self, exc, *, invoice_ids, **kwargs):
        # Retries used up: each PDF not rendered yet waits for an admin.
        from invoices.services.pdf import invoice_pdf_failed

        for invoice_id in invoice_ids:
            invoice_pdf_failed(invoice_id=invoice_id, error=repr(exc))


@shared_task(
    base=PdfsTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
    # Twenty PDFs of a hundred lines take longer than one.
    time_limit=20 * 60,
    soft_time_limit=18 * 60,
)
def invoices_render_pdfs_task(*, invoice_ids: list[int], municipality_id: int) -> None:
    """The PDFs of invoices issued together (a CSV upload), rendered in
    turn: each once, whatever retries and redeliveries (see
    ``invoices_pdf_render``)."""
    from invoices.services.pdf import invoices_pdf_render

    invoices_pdf_render(invoice_ids=invoice_ids)


# CSV bulk upload (一括アップロード): the services are in invoices.imports.


class ImportTask(Task):
    """No tenant: a supplier's file may hold invoices for several
    municipalities; the import service enters their scopes itself."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Nobody should watch a progress bar that will never move again.
        from invoices.imports import invoice_import_crashed

        invoice_import_crashed(import_id=kwargs["import_id"])


# A long file takes minutes, longer than the default time limits.
_IMPORT_TASK_OPTIONS = {
    "base": ImportTask,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "time_limit": 30 * 60,
    "soft_time_limit": 25 * 60,
}


@shared_task(**_IMPORT_TASK_OPTIONS)
def invoice_import_validate_task(*, import_id: int) -> None:
    from invoices.imports import invoice_import_validate

    invoice_import_validate(import_id=import_id)


@shared_task(**_IMPORT_TASK_OPTIONS)
def invoice_import_run_task(*, import_id: int) -> None:
    from invoices.imports import invoice_import_run

    invoice_import_run(import_id=import_id)


# ZIPs of invoices' documents (電子帳簿保存法's download): the services are
# in invoices.services.zip_exports. A city's job runs in its municipality's scope, a
# supplier's in the scope of its municipalities.


def _record_zip_failure(exc, job_id):
    from invoices.services.zip_exports import zip_export_failed

    zip_export_failed(job_id=job_id, error=repr(exc))


class ZipTask(TenantTask):
    def record_failure(self, exc, *, job_id, **kwargs):
        # Nobody should watch a progress bar that will never move again.
        _record_zip_failure(exc, job_id)


class SupplierZipTask(SupplierTask):
    def record_failure(self, exc, *, job_id, **kwargs):
        _record_zip_failure(exc, job_id)


# Thousands of PDFs take longer than the default time limits.
_ZIP_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "max_retries": 3,
    "time_limit": 60 * 60,
    "soft_time_limit": 55 * 60,
}


@shared_task(base=ZipTask, **_ZIP_TASK_OPTIONS)
def zip_export_build_task(*, job_id: int, municipality_id: int) -> None:
    from invoices.services.zip_exports import zip_export_build

    zip_export_build(job_id=job_id)


@shared_task(base=SupplierZipTask, **_ZIP_TASK_OPTIONS)
def supplier_zip_export_build_task(*, job_id: int, supplier_id: int) -> None:
    from invoices.services.zip_exports import zip_export_build

    zip_export_build(job_id=job_id)


# Reminders (催促): the service is in invoices.reminders.


@shared_task(acks_late=True)
def reminders_send_daily_task() -> int:
    """Scheduled every morning (CELERY_BEAT_SCHEDULE); safe to run twice.
    No tenant: it walks every municipality, entering each one's scope."""
    from invoices.reminders import reminders_send_daily

    return reminders_send_daily()


@shared_task(acks_late=True)
def zip_exports_expire_task() -> int:
    """Scheduled every night (CELERY_BEAT_SCHEDULE); safe to run twice.
    No tenant: ZIP exports of every municipality and supplier expire alike."""
    from invoices.services.zip_exports import zip_exports_expire

    return zip_exports_expire()
