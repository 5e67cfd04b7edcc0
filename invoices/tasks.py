"""Celery tasks for invoices: thin wrappers that enter the tenant's scope
and call a service (which makes them safe to run twice)."""

from celery import Task, shared_task
from django_scopes import scope


class PdfTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are used up: make the failure visible.
        from invoices.services import invoice_pdf_failed

        with scope(municipality=kwargs["municipality_id"]):
            invoice_pdf_failed(invoice_id=kwargs["invoice_id"], error=repr(exc))


@shared_task(
    base=PdfTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def invoice_render_pdf_task(*, invoice_id: int, municipality_id: int) -> None:
    from invoices.services import invoice_pdf_render

    with scope(municipality=municipality_id):
        invoice_pdf_render(invoice_id=invoice_id)
