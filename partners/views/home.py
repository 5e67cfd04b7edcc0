from django.views.generic import TemplateView

from partners.selectors import connection_list_for_supplier


class SupplierHomeView(TemplateView):
    """The supplier portal's start page: the supplier and where it may send
    invoices. ``request.supplier_access`` is set by the tenancy middleware."""

    template_name = "partners/home.html"

    def get_context_data(self, **kwargs):
        access = self.request.supplier_access
        return super().get_context_data(
            supplier=access.supplier,
            access=access,
            connections=connection_list_for_supplier(supplier=access.supplier),
            **kwargs,
        )
