"""Supplier pages for invoices. ``request.supplier_access`` is set by the
tenancy middleware."""

from django.views.generic import DetailView

from invoices.presentation import invoice_document
from invoices.selectors import invoice_chain, invoice_get_for_supplier


class SupplierInvoiceMixin:
    def get_object(self, queryset=None):
        return invoice_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=self.kwargs["pk"]
        )


class InvoiceDetailView(SupplierInvoiceMixin, DetailView):
    """One invoice as the supplier sees it: the document, its state (未開封
    / 開封済 with the time), the correction chain and the history."""

    template_name = "invoices/supplier_invoice_detail.html"
    context_object_name = "invoice"

    def get_context_data(self, **kwargs):
        invoice = self.object
        return super().get_context_data(
            doc=invoice_document(invoice),
            chain=invoice_chain(invoice),
            events=invoice.events.select_related("actor").order_by("pk"),
            **kwargs,
        )
