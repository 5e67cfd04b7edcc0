"""Celery tasks for invoices: thin wrappers that call a service (which makes
them safe to run twice); the tenant's scope is entered by TenantTask."""

from celery import Task, shared_task

from municipality.tenant_tasks import TRANSIENT_ERRORS, TenantTask


class PdfTask(TenantTask):
    def record_failure(self, exc, *, invoice_id, **kwargs):
        # Retries used up, or an error not worth one: make it visible (the
        # admin lists failed PDFs with a retry action).
        from invoices.services import invoice_pdf_failed

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
    from invoices.services import invoice_pdf_render

    invoice_pdf_render(invoice_id=invoice_id)


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


# Reminders (催促): the service is in invoices.reminders.


@shared_task(acks_late=True)
def reminders_send_daily_task() -> int:
    """Scheduled every morning (CELERY_BEAT_SCHEDULE); safe to run twice.
    No tenant: it walks every municipality, entering each one's scope."""
    from invoices.reminders import reminders_send_daily

    return reminders_send_daily()
