"""The invoice PDF for suppliers and staff: served through these
permission-checked views only, and every download is in the history."""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext
from django.views import View

from invoices.models import EventKind, InvoicePdf, PdfStatus, filename_part
from invoices.services.records import invoices_record_export
from invoices.views.city import CityInvoiceMixin
from invoices.views.supplier import SupplierInvoiceMixin


def _filename(invoice) -> str:
    return gettext("請求書_%(number)s.pdf") % {"number": filename_part(invoice.number)}


def pdf_ready(invoice) -> InvoicePdf | None:
    """The invoice's PDF if it has been made, else ``None``."""
    pdf = InvoicePdf.objects.filter(invoice=invoice).first()
    if pdf is None or pdf.status != PdfStatus.READY or not pdf.file:
        return None
    return pdf


def pdf_attachment(request, invoice, pdf: InvoicePdf) -> FileResponse:
    """The ready ``pdf`` as a download, recorded in the invoice's history."""
    response = FileResponse(
        pdf.file.open("rb"),
        as_attachment=True,
        filename=_filename(invoice),
        content_type="application/pdf",
    )
    invoices_record_export(
        invoices=[invoice],
        actor=request.user,
        kind=EventKind.DOWNLOADED,
        data={"format": "pdf", "sha256": pdf.sha256},
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(request, invoice):
    """The PDF when it is ready (recording the download); otherwise a page
    that says it is being made or that making it failed."""
    if invoice.is_draft:
        raise Http404
    if pdf := pdf_ready(invoice):
        return pdf_attachment(request, invoice, pdf)
    pdf = InvoicePdf.objects.filter(invoice=invoice).first()
    return render(
        request,
        "invoices/pdf_status.html",
        {"invoice": invoice, "pdf": pdf},
        status=202 if pdf is None or pdf.status == PdfStatus.PENDING else 200,
    )


class SupplierInvoicePdfView(SupplierInvoiceMixin, View):
    def get(self, request, *args, **kwargs):
        return pdf_response(request, self.get_object())


class CityInvoicePdfView(CityInvoiceMixin, View):
    def get(self, request, *args, **kwargs):
        return pdf_response(request, self.get_object())
