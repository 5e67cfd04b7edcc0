"""The issued invoice's stored PDF."""

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.enqueue import enqueue_on_commit
from invoices.models import Invoice, InvoicePdf, InvoiceStatus, PdfStatus
from invoices.pdf import render_invoice_pdf
from municipality.tenant_tasks import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# Invoices whose PDFs one task renders (``invoices_pdf_request``): small
# enough that several workers share a long upload.
PDF_TASK_CHUNK = 20


def invoice_pdf_request(*, invoice: Invoice) -> InvoicePdf:
    """Ask for the invoice's PDF: a task renders it after commit. A PDF
    that is ready stays as it is; a failed one is tried again."""
    from invoices.tasks import invoice_render_pdf_task

    pdf, created = InvoicePdf.objects.get_or_create(
        invoice=invoice, defaults={"municipality_id": invoice.municipality_id}
    )
    if pdf.status == PdfStatus.READY:
        return pdf
    if not created:
        pdf.status = PdfStatus.PENDING
        pdf.error = ""
        pdf.save(update_fields=["status", "error"])
    # Redis away: the row is committed, and the sweeper
    # (invoice_pdfs_requeue_stalled) queues it later.
    enqueue_on_commit(
        invoice_render_pdf_task,
        invoice_id=invoice.pk,
        municipality_id=invoice.municipality_id,
    )
    return pdf


def invoice_pdfs_requeue_stalled(*, older_than: timedelta) -> int:
    """Queue again the PDF of every issued invoice still not rendered
    ``older_than`` after it was requested, and request the PDF of an issued
    invoice that has none (the sweeper): its task was lost with a restarted
    Redis, or never queued while Redis was away. Rendering is idempotent,
    so a task that was only slow costs nothing. Failed ones wait for an
    admin (the admin's retry action). Across every municipality."""
    from invoices.tasks import invoice_render_pdf_task

    cutoff = timezone.now() - older_than
    with scopes_disabled():
        stalled = list(
            InvoicePdf.objects.filter(
                status=PdfStatus.PENDING, requested_at__lt=cutoff
            ).values_list("invoice_id", "municipality_id")
        )
        missing = list(
            Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
            .filter(pdf__isnull=True, received_at__lt=cutoff)
            .order_by("pk")
        )
        for invoice in missing:
            with transaction.atomic():
                invoice_pdf_request(invoice=invoice)
    for invoice_id, municipality_id in stalled:
        invoice_render_pdf_task.delay(
            invoice_id=invoice_id, municipality_id=municipality_id
        )
    return len(stalled) + len(missing)


def invoices_pdf_request(*, invoices: Sequence[Invoice]) -> None:
    """``invoice_pdf_request`` of invoices issued just now, which have no
    PDF yet: their rows in one insert, and after commit a task for each
    ``PDF_TASK_CHUNK`` of them (a message per invoice cost the CSV upload
    more than all its checks)."""
    from invoices.tasks import invoices_render_pdfs_task

    InvoicePdf.objects.bulk_create(
        InvoicePdf(invoice=invoice, municipality_id=invoice.municipality_id)
        for invoice in invoices
    )
    by_municipality: dict[int, list[int]] = {}
    for invoice in invoices:
        by_municipality.setdefault(invoice.municipality_id, []).append(invoice.pk)
    # As for one issued invoice: a broker that is away loses nothing
    # committed (the sweeper queues each PDF again).
    for municipality_id, ids in by_municipality.items():
        for start in range(0, len(ids), PDF_TASK_CHUNK):
            enqueue_on_commit(
                invoices_render_pdfs_task,
                invoice_ids=ids[start : start + PDF_TASK_CHUNK],
                municipality_id=municipality_id,
            )


def invoices_pdf_render(*, invoice_ids: Sequence[int]) -> None:
    """``invoice_pdf_render`` of each invoice in turn, each once (a retried
    or redelivered task skips those already rendered). One that fails for
    good is recorded as failed and the others go on; a transient error
    stops the lot, for the task to be retried."""
    for invoice_id in invoice_ids:
        try:
            invoice_pdf_render(invoice_id=invoice_id)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            logger.exception("The PDF of invoice %s could not be rendered.", invoice_id)
            invoice_pdf_failed(invoice_id=invoice_id, error=repr(error))


def invoice_pdf_render(*, invoice_id: int) -> InvoicePdf:
    """Render and store the PDF of an issued invoice, once: a second run
    (a retried or duplicated task) finds it ready and does nothing. Each
    attempt is counted, also those that fail."""
    with transaction.atomic():
        pdf = InvoicePdf.objects.select_for_update(of=("self",)).get(
            invoice_id=invoice_id
        )
        if pdf.status == PdfStatus.READY and pdf.file:
            return pdf
        pdf.attempts += 1
        pdf.save(update_fields=["attempts"])
    data = render_invoice_pdf(pdf.invoice)
    with transaction.atomic():
        pdf = InvoicePdf.objects.select_for_update(of=("self",)).get(pk=pdf.pk)
        if pdf.status == PdfStatus.READY and pdf.file:
            return pdf  # a concurrent run finished first
        pdf.file.save("invoice.pdf", ContentFile(data), save=False)
        pdf.sha256 = hashlib.sha256(data).hexdigest()
        pdf.status = PdfStatus.READY
        pdf.error = ""
        pdf.rendered_at = timezone.now()
        pdf.save()
    return pdf


def invoice_pdf_ensure(*, invoice: Invoice) -> InvoicePdf:
    """The issued invoice's stored PDF, rendered and stored here and now if
    the task has not done it yet (or failed): for a download that cannot
    wait. Raises whatever rendering raises."""
    InvoicePdf.objects.get_or_create(
        invoice=invoice, defaults={"municipality_id": invoice.municipality_id}
    )
    return invoice_pdf_render(invoice_id=invoice.pk)


def invoice_pdf_failed(*, invoice_id: int, error: str) -> None:
    """Record that rendering failed for good; admins see it and can retry."""
    InvoicePdf.objects.filter(invoice_id=invoice_id).exclude(
        status=PdfStatus.READY
    ).update(status=PdfStatus.FAILED, error=error[:2000])
