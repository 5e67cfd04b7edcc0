"""Search, export and print of invoices (電子帳簿保存法: 検索と
ダウンロード), for suppliers and for city staff.

Each view reads only what the side's selector lets the user see; the search
form narrows it. Every export and print is recorded in the history of each
issued invoice concerned (drafts have no history: they are not records yet).
"""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import ListView

from invoices import exports
from invoices.models import EventKind, Invoice
from invoices.search import CityInvoiceSearchForm, SupplierInvoiceSearchForm
from invoices.selectors import invoice_list_for_access, invoice_list_for_supplier
from invoices.services import invoices_record_export
from invoices.views.city import CityInvoiceMixin
from invoices.views.supplier import SupplierInvoiceMixin
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin

PRINT_FORMAT = "print"

# format → (history event, content type, end of the file name). A CSV is
# data taken out (CSV出力); the ZIP hands out the documents (ダウンロード).
EXPORTS = {
    exports.CSV_UTF8: (EventKind.EXPORTED, "text/csv; charset=utf-8", "utf8.csv"),
    exports.CSV_CP932: (
        EventKind.EXPORTED,
        "text/csv; charset=Windows-31J",
        "cp932.csv",
    ),
    exports.ZIP: (EventKind.DOWNLOADED, "application/zip", "html.zip"),
}


def _record(invoices: list[Invoice], *, actor, kind: str, file_format: str) -> None:
    # Not drafts: an event would hold the draft's empty content hash, break
    # the audit chain once it is issued and keep it from being deleted.
    invoices_record_export(
        invoices=[invoice for invoice in invoices if not invoice.is_draft],
        actor=actor,
        kind=kind,
        data={"format": file_format},
    )


class SupplierSearchMixin:
    form_class = SupplierInvoiceSearchForm

    def visible_invoices(self) -> QuerySet[Invoice]:
        return invoice_list_for_supplier(supplier=self.request.supplier_access.supplier)

    def search_url(self) -> str:
        return reverse("supplier:invoice_search")


class CitySearchMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)
    form_class = CityInvoiceSearchForm

    def visible_invoices(self) -> QuerySet[Invoice]:
        return invoice_list_for_access(access=self.request.city)

    def search_url(self) -> str:
        return reverse(
            "city:invoice_search",
            kwargs={"municipality_slug": self.request.city.municipality.slug},
        )


class InvoiceSearchView(ListView):
    """The search page: the conditions, and the matching invoices only."""

    template_name = "invoices/search.html"
    context_object_name = "invoices"
    paginate_by = 50

    def get_queryset(self):
        self.form = self.form_class(data=self.request.GET)
        if not self.form.is_valid():
            return Invoice.objects.none()
        return self.form.filter(self.visible_invoices())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            form=self.form, export_limit=exports.EXPORT_LIMIT, **kwargs
        )


class InvoiceExportView(View):
    """The search's results as a file (``?format=`` a key of ``EXPORTS``,
    with the search's own parameters). Refused, back on the search page,
    when the conditions are invalid, match nothing or match more than
    ``exports.EXPORT_LIMIT`` invoices."""

    def get(self, request, *args, **kwargs):
        file_format = request.GET.get("format", "")
        if file_format not in EXPORTS:
            raise Http404
        form = self.form_class(data=request.GET)
        if not form.is_valid():
            return self._back()  # the search page shows the errors
        matching = form.filter(self.visible_invoices())
        count = matching.count()
        if not count:
            messages.info(
                request, "条件に該当する請求書がないため、出力しませんでした。"
            )
            return self._back()
        if count > exports.EXPORT_LIMIT:
            messages.error(
                request,
                f"該当する請求書が{count:,}件あります。一度に出力できるのは"
                f"{exports.EXPORT_LIMIT:,}件までです。"
                "取引日や金額などの条件で絞り込んでから、もう一度出力してください。",
            )
            return self._back()
        invoices = exports.export_load(matching)
        kind, content_type, suffix = EXPORTS[file_format]
        if file_format == exports.ZIP:
            content = exports.invoices_zip(invoices)
        else:
            content = exports.invoices_csv(invoices, encoding=file_format)
        _record(invoices, actor=request.user, kind=kind, file_format=file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True,
            filename=f"invoices_{timezone.localdate():%Y%m%d}_{suffix}",
        )
        return response

    def _back(self):
        query = self.request.GET.copy()
        query.pop("format", None)
        url = self.search_url()
        return redirect(f"{url}?{query.urlencode()}" if query else url)


class InvoicePrintView(View):
    """One invoice alone with print styles, to print from the browser."""

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        _record(
            [invoice],
            actor=request.user,
            kind=EventKind.DOWNLOADED,
            file_format=PRINT_FORMAT,
        )
        return HttpResponse(exports.invoice_print_html(invoice))


class SupplierInvoiceSearchView(SupplierSearchMixin, InvoiceSearchView):
    pass


class SupplierInvoiceExportView(SupplierSearchMixin, InvoiceExportView):
    pass


class SupplierInvoicePrintView(SupplierInvoiceMixin, InvoicePrintView):
    pass


class CityInvoiceSearchView(CitySearchMixin, InvoiceSearchView):
    pass


class CityInvoiceExportView(CitySearchMixin, InvoiceExportView):
    pass


class CityInvoicePrintView(CityInvoiceMixin, InvoicePrintView):
    pass
