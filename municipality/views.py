from django.utils import timezone
from django.views.generic import ListView, TemplateView

from accounts.twofactor import two_factor_enabled, two_factor_required_redirect
from invoices.duties import staff_supplier_conflicts
from invoices.filters import (
    DEFAULT_PAGE_SIZE,
    InboxFilterForm,
    deadline_alert,
    inbox_filter_data,
)
from invoices.models import Invoice
from invoices.selectors import invoice_list_for_access
from municipality.models import StaffRole
from municipality.selectors import (
    department_get_for_access,
    department_list_for_access,
    settings_event_list_for_municipality,
    staff_membership_list,
)
from partners.selectors import connection_list_for_department


class CityRoleRequiredMixin:
    """Lets through only staff holding one of ``required_roles`` in the
    municipality of the URL; everyone else gets 404. The middleware has
    already checked that the user is staff there (``request.city``).

    A city administrator (自治体管理者) of the municipality must have set up
    two-factor authentication first, on every page of it: the role widens
    what each page shows (every department) and what it allows."""

    required_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        request.city.require_role(*self.required_roles)
        if request.city.has_role(StaffRole.CITY_ADMIN) and not two_factor_enabled(
            request.user
        ):
            return two_factor_required_redirect(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(city=self.request.city, **kwargs)


class InboxView(CityRoleRequiredMixin, ListView):
    """受信箱: the invoices of the user's departments (of every department
    for treasury and city admins, who read only), unopened first, with
    filters, sorting and paging."""

    required_roles = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)
    template_name = "municipality/inbox.html"
    context_object_name = "invoices"

    def get_queryset(self):
        access = self.request.city
        self.departments = list(department_list_for_access(access=access))
        self.filter_form = InboxFilterForm(
            inbox_filter_data(self.request.GET), departments=self.departments
        )
        if not self.filter_form.is_valid():
            return Invoice.objects.none()
        return self.filter_form.filter(invoice_list_for_access(access=access))

    def get_paginate_by(self, queryset):
        if self.filter_form.is_valid():
            return self.filter_form.cleaned_data["per_page"]
        return DEFAULT_PAGE_SIZE

    def get_context_data(self, **kwargs):
        access = self.request.city
        context = super().get_context_data(
            filter_form=self.filter_form,
            departments=self.departments,
            department_pages=access.has_role(*DepartmentDetailView.required_roles),
            **kwargs,
        )
        today = timezone.localdate()
        context["rows"] = [
            (invoice, deadline_alert(invoice, today=today))
            for invoice in context["object_list"]
        ]
        return context


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


class AuditLogView(CityRoleRequiredMixin, ListView):
    """設定・権限の変更履歴: who changed the treasury settings (four-eyes,
    accounts, fees), the payment-deadline and reminder settings, or a staff
    role, when, and each field before and after. City administrators only;
    newest first, 50 per page."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "municipality/audit_log.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        return settings_event_list_for_municipality(
            municipality=self.request.city.municipality
        )
