"""The issued invoice's stored PDF."""

import hashlib
from collections.abc import Sequence
from functools import partial

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from invoices.models import Invoice, InvoicePdf, PdfStatus
from invoices.pdf import render_invoice_pdf


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
    transaction.on_commit(
        partial(
            invoice_render_pdf_task.delay,
            invoice_id=invoice.pk,
            municipality_id=invoice.municipality_id,
        )
    )
    return pdf


def invoices_pdf_request(*, invoices: Sequence[Invoice]) -> None:
    """``invoice_pdf_request`` of invoices issued just now, which have no
    PDF yet: their rows in one insert, a task for each after commit."""
    from invoices.tasks import invoice_render_pdf_task

    InvoicePdf.objects.bulk_create(
        InvoicePdf(invoice=invoice, municipality_id=invoice.municipality_id)
        for invoice in invoices
    )
    tasks = [(invoice.pk, invoice.municipality_id) for invoice in invoices]

    def send() -> None:
        for invoice_id, municipality_id in tasks:
            invoice_render_pdf_task.delay(
                invoice_id=invoice_id, municipality_id=municipality_id
            )

    transaction.on_commit(send)


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
