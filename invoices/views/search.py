"""Search, export and print of invoices (電子帳簿保存法: 検索と
ダウンロード), for suppliers and for city staff.

Each view reads only what the side's selector lets the user see; the search
form narrows it. Every export and print is recorded in the history of each
issued invoice concerned (drafts have no history: they are not records yet).
"""

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from invoices.exports import pipeline, search_csv
from invoices.models import EventKind, Invoice, ZipExport
from invoices.paging import KeysetListMixin
from invoices.search import (
    SEARCH_ORDER,
    CityInvoiceSearchForm,
    SupplierInvoiceSearchForm,
    city_period_hint,
)
from invoices.selectors import (
    invoice_list_for_access,
    invoice_list_for_supplier,
    zip_export_list_recent_for_access,
    zip_export_list_recent_for_supplier,
)
from invoices.views.city import CityInvoiceMixin
from invoices.views.exports import InvoiceExportView
from invoices.views.supplier import SupplierInvoiceMixin
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin

PRINT_FORMAT = "print"
# The user's ZIPs of the last days shown on the search page, at most.
RECENT_ZIP_EXPORTS = 10


class SupplierSearchMixin:
    form_class = SupplierInvoiceSearchForm

    def visible_invoices(self) -> QuerySet[Invoice]:
        return invoice_list_for_supplier(supplier=self.request.supplier_access.supplier)

    def search_url(self) -> str:
        return reverse("supplier:invoice_search")

    def recent_zip_exports(self) -> QuerySet[ZipExport]:
        return zip_export_list_recent_for_supplier(
            supplier=self.request.supplier_access.supplier, user=self.request.user
        )


class CitySearchMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)
    form_class = CityInvoiceSearchForm

    def visible_invoices(self) -> QuerySet[Invoice]:
        return invoice_list_for_access(access=self.request.city)

    def keyset_count_queryset(self, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        return city_period_hint(
            queryset,
            self.form.cleaned_data,
            access=self.request.city,
        )

    def search_url(self) -> str:
        return reverse(
            "city:invoice_search",
            kwargs={"municipality_slug": self.request.city.municipality.slug},
        )

    def recent_zip_exports(self) -> QuerySet[ZipExport]:
        return zip_export_list_recent_for_access(
            access=self.request.city, user=self.request.user
        )


class InvoiceSearchView(KeysetListMixin, ListView):
    """The search page: the conditions, and the matching invoices only,
    newest transaction first (keyset pages: 「次へ」「前へ」「最初へ」; older
    ones by the 取引日 range)."""

    template_name = "invoices/search.html"
    context_object_name = "invoices"
    paginate_by = 50

    def get_queryset(self):
        self.form = self.form_class(data=self.request.GET)
        if not self.form.is_valid():
            return Invoice.objects.none()
        # The list shows the parties' names as printed, not the whole
        # frozen content.
        return (
            self.form.filter(self.visible_invoices())
            .order_by()
            .defer("snapshot")
            .annotate(
                printed_supplier=KT("snapshot__supplier__name"),
                printed_municipality=KT("snapshot__addressee__municipality"),
                printed_department=KT("snapshot__addressee__department"),
            )
        )

    def keyset_parts(self):
        return [SEARCH_ORDER]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            form=self.form,
            export_limit=pipeline.EXPORT_LIMIT,
            zip_inline_limit=settings.INVOICE_ZIP_INLINE_LIMIT,
            zip_exports=list(self.recent_zip_exports()[:RECENT_ZIP_EXPORTS]),
            **kwargs,
        )


class SearchExportView(InvoiceExportView):
    """The search's results as a file, with the search's own parameters."""

    formats = search_csv.SEARCH_FORMATS
    too_many_message = _(
        "該当する請求書が%(count)s件あります。一度に出力できるのは"
        "%(limit)s件までです。取引日や金額などの条件で絞り込んでから、"
        "もう一度出力してください。"
    )

    def filter_form(self):
        return self.form_class(data=self.request.GET)

    def back_url(self) -> str:
        return self.search_url()


class InvoicePrintView(View):
    """One invoice alone with print styles, to print from the browser."""

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        # Rendered, recorded, then served, as every export is.
        page = search_csv.invoice_print_html(invoice)
        pipeline.invoices_record_taken(
            invoices=[invoice],
            actor=request.user,
            kind=EventKind.DOWNLOADED,
            recorded_as=PRINT_FORMAT,
        )
        return HttpResponse(page)


class SupplierInvoiceSearchView(SupplierSearchMixin, InvoiceSearchView):
    pass


class SupplierInvoiceExportView(SupplierSearchMixin, SearchExportView):
    pass


class SupplierInvoicePrintView(SupplierInvoiceMixin, InvoicePrintView):
    pass


class CityInvoiceSearchView(CitySearchMixin, InvoiceSearchView):
    pass


class CityInvoiceExportView(CitySearchMixin, SearchExportView):
    pass


class CityInvoicePrintView(CityInvoiceMixin, InvoicePrintView):
    pass
