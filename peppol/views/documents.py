"""The JP PINT XML of an issued invoice, next to its PDF: the same
permission checks as the PDF download, and every download is recorded."""

import hashlib
import logging

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views import View

from invoices.models import EventKind, filename_part
from invoices.services.records import invoices_record_export
from invoices.views.city import CityInvoiceMixin
from invoices.views.supplier import SupplierInvoiceMixin
from peppol.services import invoice_jp_pint
from peppol.ubl import JpPintUnavailable

logger = logging.getLogger(__name__)


def xml_attachment(request, invoice) -> HttpResponse:
    """The issued invoice's XML as a download, recorded in its history;
    raises ``JpPintUnavailable`` when it cannot be made."""
    xml = invoice_jp_pint(invoice)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename_part(invoice.number)}.xml"
    )
    response["X-Content-Type-Options"] = "nosniff"
    invoices_record_export(
        invoices=[invoice],
        actor=request.user,
        kind=EventKind.DOWNLOADED,
        data={"format": "jp-pint", "sha256": hashlib.sha256(xml).hexdigest()},
    )
    return response


def xml_response(request, invoice):
    if invoice.is_draft:
        raise Http404
    try:
        return xml_attachment(request, invoice)
    except JpPintUnavailable as exc:
        logger.warning("JP PINT for invoice %s not served: %s", invoice.pk, exc)
        return render(
            request,
            "peppol/xml_unavailable.html",
            {"invoice": invoice, "message": str(exc)},
            status=409,
        )


class SupplierInvoiceXmlView(SupplierInvoiceMixin, View):
    def get(self, request, *args, **kwargs):
        return xml_response(request, self.get_object())


class CityInvoiceXmlView(CityInvoiceMixin, View):
    def get(self, request, *args, **kwargs):
        return xml_response(request, self.get_object())
