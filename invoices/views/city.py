"""City staff pages for invoices. ``request.city`` is set by the tenancy
middleware; every invoice is read through the staff member's access."""

from django.views.generic import DetailView

from invoices.presentation import invoice_document
from invoices.selectors import invoice_can_act, invoice_chain, invoice_get_for_access
from invoices.services import invoice_view
from municipality.views import CityRoleRequiredMixin


class CityInvoiceMixin(CityRoleRequiredMixin):
    def get_object(self, queryset=None):
        return invoice_get_for_access(access=self.request.city, pk=self.kwargs["pk"])


class InvoiceDetailView(CityInvoiceMixin, DetailView):
    """One invoice for staff. Looking at it is recorded: the first look by
    anyone at the city opens it (開封), later looks are logged."""

    template_name = "invoices/city_invoice_detail.html"
    context_object_name = "invoice"

    def get_object(self, queryset=None):
        invoice = super().get_object(queryset)
        return invoice_view(invoice=invoice, actor=self.request.user)

    def get_context_data(self, **kwargs):
        invoice = self.object
        return super().get_context_data(
            doc=invoice_document(invoice),
            chain=invoice_chain(invoice),
            events=invoice.events.select_related("actor").order_by("pk"),
            can_act=invoice_can_act(access=self.request.city, invoice=invoice),
            **kwargs,
        )
