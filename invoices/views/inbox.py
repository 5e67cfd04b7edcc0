"""The city's inbox (受信箱) and a department's page, at the root of the
``city`` namespace (``invoices/urls/city_root.py``)."""

from django.utils import timezone
from django.views.generic import ListView

from invoices.filters import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    InboxFilterForm,
    inbox_filter_data,
    inbox_parts,
)
from invoices.models import Invoice
from invoices.paging import KeysetListMixin, NumberedPageMixin
from invoices.presentation import INBOX_COLUMNS, inbox_rows
from invoices.search import city_period_hint
from invoices.selectors import invoice_list_for_access
from municipality.models import StaffRole
from municipality.selectors import department_get_for_access, department_list_for_access
from municipality.views import CityRoleRequiredMixin
from partners.selectors import connection_list_for_department


class InboxView(CityRoleRequiredMixin, KeysetListMixin, ListView):
    """受信箱: the invoices of the user's departments (of every department
    for treasury and city admins, who read only), unopened first, with
    filters, sorting and paging (keyset: 「次へ」「前へ」「最初へ」, and
    受付日 filters and the oldest-first sort to reach old invoices)."""

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
        return self.filter_form.narrow(invoice_list_for_access(access=access)).only(
            *INBOX_COLUMNS
        )

    def keyset_parts(self):
        if self.filter_form.is_valid():
            return self.filter_form.parts()
        return inbox_parts(DEFAULT_SORT)

    def keyset_count_queryset(self, queryset):
        if not self.filter_form.is_valid():
            return queryset
        return city_period_hint(
            queryset,
            self.filter_form.cleaned_data,
            access=self.request.city,
        )

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
        context["rows"] = inbox_rows(
            context["object_list"], access=access, today=timezone.localdate()
        )
        context["approvable"] = sum(row.approvable for row in context["rows"])
        context["many_departments"] = len(self.departments) > 1
        return context


class DepartmentDetailView(CityRoleRequiredMixin, NumberedPageMixin, ListView):
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
