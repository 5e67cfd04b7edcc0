from django.http import Http404


class SupplierOwnerRequiredMixin:
    """Owners (管理者) only; a clerk gets 404 like anyone the page is not
    granted to. The middleware has already checked membership
    (``request.supplier_access``)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.supplier_access.is_owner:
            raise Http404
        return super().dispatch(request, *args, **kwargs)
