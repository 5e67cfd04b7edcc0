from django.views.generic import ListView, TemplateView

from municipality.models import StaffRole
from municipality.selectors import (
    department_get_for_access,
    department_list_for_access,
    staff_membership_list,
)
from partners.selectors import (
    connection_list_for_department,
    connection_list_for_municipality,
)


class CityRoleRequiredMixin:
    """Lets through only staff holding one of ``required_roles`` in the
    municipality of the URL; everyone else gets 404. The middleware has
    already checked that the user is staff there (``request.city``)."""

    required_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        request.city.require_role(*self.required_roles)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(city=self.request.city, **kwargs)


class InboxView(CityRoleRequiredMixin, ListView):
    """受信箱: the departments whose invoices the user receives."""

    required_roles = (StaffRole.DEPARTMENT, StaffRole.CITY_ADMIN)
    template_name = "municipality/inbox.html"
    context_object_name = "departments"

    def get_queryset(self):
        return department_list_for_access(access=self.request.city)


class DepartmentDetailView(CityRoleRequiredMixin, ListView):
    """One department and the suppliers registered with it."""

    required_roles = (StaffRole.DEPARTMENT, StaffRole.CITY_ADMIN)
    template_name = "municipality/department_detail.html"
    context_object_name = "connections"
    paginate_by = 50

    def get_queryset(self):
        self.department = department_get_for_access(
            access=self.request.city, code=self.kwargs["code"]
        )
        return connection_list_for_department(department=self.department)

    def get_context_data(self, **kwargs):
        return super().get_context_data(department=self.department, **kwargs)


class TreasuryView(CityRoleRequiredMixin, ListView):
    """会計管理者・出納室: the municipality's 支払先マスタ with payee codes."""

    required_roles = (StaffRole.TREASURY,)
    template_name = "municipality/treasury.html"
    context_object_name = "connections"
    paginate_by = 50

    def get_queryset(self):
        return connection_list_for_municipality(
            municipality=self.request.city.municipality
        )


class ManageView(CityRoleRequiredMixin, TemplateView):
    """City administration: departments and staff at a glance."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "municipality/manage.html"

    def get_context_data(self, **kwargs):
        city = self.request.city
        return super().get_context_data(
            departments=department_list_for_access(access=city),
            memberships=staff_membership_list(municipality=city.municipality),
            **kwargs,
        )
