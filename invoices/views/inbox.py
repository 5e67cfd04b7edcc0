"""The city's inbox (受信箱) and a department's page, at the root of the
``city`` namespace (``invoices/urls/city_root.py``)."""

from datetime import timedelta

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
from invoices.paging import KeysetListMixin
from invoices.presentation import INBOX_COLUMNS, inbox_rows
from invoices.search import city_period_hint, city_period_indexed
from invoices.selectors import invoice_list_for_access
from municipality.models import StaffRole
from municipality.paging import NumberedPageMixin
from municipality.selectors import department_get_for_access, department_list_for_access
from municipality.views import CityRoleRequiredMixin
from partners.selectors import connection_list_for_department

# The 受付日 orders, and the longest 取引日 range a city-wide page in them is
# sorted from the city's period index (``InboxView.keyset_sorted_queryset``)
# rather than walked.
RECEIVED_SORTS = frozenset({"-received", "received"})
SORTED_PERIOD = timedelta(days=400)
# Newest first, sorted only when the invoices the walk would pass (those
# of the days after the range, taken as evenly spread) outnumber the
# range's this many times: a sort reads all of the range's.
SORTED_SKIP = 3


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

    def keyset_sorted_queryset(self, queryset):
        """A city-wide inbox in 受付日 order by a 取引日 range: the walk down
        the 受付日 index passes every invoice received after (oldest first:
        before) the range's, about 300 ms for a quarter four years back at
        1,000,000 invoices, since the planner cannot know that the two
        dates go together. A range of up to about a year (a city's 30,000
        invoices) is sorted instead from the city's period index, which
        holds the order's columns (``invoices.0025``), when the walk would
        pass more invoices than the range holds several times over: the
        quarter takes about 60 ms, a fiscal year six years back about 100
        (400 walking). Longer ranges walk."""
        if not self.filter_form.is_valid():
            return None
        data = self.filter_form.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        access = self.request.city
        if (
            data["sort"] not in RECEIVED_SORTS
            or not (start and end)
            or not city_period_indexed(data, access=access)
        ):
            return None
        width = end - start + timedelta(days=1)
        newer = timezone.localdate() - end
        if width > SORTED_PERIOD or (
            data["sort"] == "-received" and newer < SORTED_SKIP * width
        ):
            return None
        return city_period_hint(queryset, data, access=access)

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
