"""The city administration's overview (自治体管理), at the root of the
``city`` namespace (``invoices/urls/city_root.py``): it marks staff who
belong to a supplier (``invoices.duties``)."""

from django.views.generic import TemplateView

from invoices.duties import staff_supplier_conflicts
from municipality.models import StaffRole
from municipality.selectors import department_list_for_access, staff_membership_list
from municipality.views import CityRoleRequiredMixin


class ManageView(CityRoleRequiredMixin, TemplateView):
    """City administration: departments and staff at a glance. Staff who
    also belong to a supplier connected to the municipality are marked as a
    conflict of interest (利益相反), with the supplier's name."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "municipality/manage.html"

    def get_context_data(self, **kwargs):
        city = self.request.city
        conflicts = staff_supplier_conflicts(municipality=city.municipality)
        return super().get_context_data(
            departments=department_list_for_access(access=city),
            has_staff_conflicts=bool(conflicts),
            staff_rows=[
                (membership, conflicts.get(membership.user_id, []))
                for membership in staff_membership_list(municipality=city.municipality)
            ],
            **kwargs,
        )
