"""部署の管理: the department list with add, edit (rename, re-parent),
deactivate after a confirmation page, reactivate, and CSV export and
import."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from municipality.console.forms import (
    DepartmentDeactivateForm,
    DepartmentForm,
    DepartmentImportForm,
)
from municipality.console.staff import CityAdminMixin
from municipality.departments import (
    department_activate,
    department_add,
    department_deactivate,
    department_update,
)
from municipality.departments_csv import (
    DepartmentCsvError,
    department_csv_export,
    department_csv_import,
)
from municipality.models import Department

# Received and not yet paid: a department still handles these. The values
# of invoices.models.InvoiceStatus (ISSUED, OPENED, APPROVED, SCHEDULED),
# which municipality does not import (README, "Layout");
# tests/municipality/test_city_admin_views.py checks them against it.
OPEN_STATUSES = ("issued", "opened", "approved", "scheduled")


def open_invoice_counts(municipality) -> dict[int, int]:
    """Department id → number of its open invoices (through the invoices'
    ``related_name`` on their department)."""
    return dict(
        Department.objects.filter(
            municipality=municipality, invoices__status__in=OPEN_STATUSES
        )
        .values_list("pk")
        .annotate(n=Count("invoices"))
        .values_list("pk", "n")
    )


class DepartmentMixin(CityAdminMixin):
    @cached_property
    def department(self) -> Department:
        return get_object_or_404(
            Department.objects.filter(municipality=self.municipality).select_related(
                "parent"
            ),
            code=self.kwargs["code"],
        )


class DepartmentListView(CityAdminMixin, TemplateView):
    template_name = "municipality/department_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            departments=Department.objects.filter(municipality=self.municipality)
            .select_related("parent")
            .order_by("code"),
            import_form=DepartmentImportForm(),
            **kwargs,
        )


class DepartmentCreateView(CityAdminMixin, FormView):
    template_name = "municipality/department_form.html"
    form_class = DepartmentForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "municipality": self.municipality}

    def form_valid(self, form):
        try:
            department = department_add(
                municipality=self.municipality,
                code=form.cleaned_data["code"].strip(),
                name=form.cleaned_data["name"].strip(),
                parent=form.cleaned_data["parent"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("部署「%(name)s」を追加しました。") % {"name": department.name},
        )
        return self.redirect_to("city:departments")


class DepartmentEditView(DepartmentMixin, FormView):
    template_name = "municipality/department_form.html"
    form_class = DepartmentForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "municipality": self.municipality,
            "department": self.department,
            "initial": {
                "name": self.department.name,
                "parent": self.department.parent,
            },
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(department=self.department, **kwargs)

    def form_valid(self, form):
        try:
            department = department_update(
                department=self.department,
                name=form.cleaned_data["name"].strip(),
                parent=form.cleaned_data["parent"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("部署「%(name)s」を保存しました。") % {"name": department.name},
        )
        return self.redirect_to("city:departments")


class DepartmentDeactivateView(DepartmentMixin, FormView):
    """GET: a confirmation page naming the open invoices; POST: deactivate."""

    template_name = "municipality/department_deactivate.html"
    form_class = DepartmentDeactivateForm

    @cached_property
    def open_invoices(self) -> int:
        return open_invoice_counts(self.municipality).get(self.department.pk, 0)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            department=self.department,
            open_invoices=self.open_invoices,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            department_deactivate(
                department=self.department,
                open_invoices=self.open_invoices,
                confirmed=form.cleaned_data["confirm_open_invoices"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error("confirm_open_invoices", error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("部署「%(name)s」を無効にしました。")
            % {"name": self.department.name},
        )
        return self.redirect_to("city:departments")


class DepartmentActivateView(DepartmentMixin, View):
    """POST-only: let a deactivated department receive invoices again."""

    def post(self, request, *args, **kwargs):
        department = department_activate(department=self.department, actor=request.user)
        messages.success(
            request,
            gettext("部署「%(name)s」を有効にしました。") % {"name": department.name},
        )
        return self.redirect_to("city:departments")


class DepartmentExportView(CityAdminMixin, View):
    def get(self, request, *args, **kwargs):
        response = HttpResponse(
            department_csv_export(municipality=self.municipality),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="departments-{self.municipality.slug}.csv"'
        )
        return response


class DepartmentImportView(CityAdminMixin, FormView):
    template_name = "municipality/department_import.html"
    form_class = DepartmentImportForm

    def form_valid(self, form):
        try:
            result = department_csv_import(
                municipality=self.municipality,
                data=form.cleaned_data["file"].read(),
                open_invoices=open_invoice_counts(self.municipality),
                actor=self.request.user,
            )
        except DepartmentCsvError as error:
            return self.render_to_response(
                self.get_context_data(form=form, problems=error.problems)
            )
        messages.success(
            self.request,
            gettext(
                "部署一覧を取り込みました（追加 %(created)d件、変更 %(changed)d件、"
                "変更なし %(unchanged)d件）。"
            )
            % {
                "created": result.created,
                "changed": result.changed,
                "unchanged": result.unchanged,
            },
        )
        return self.redirect_to("city:departments")
