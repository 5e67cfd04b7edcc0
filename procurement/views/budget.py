"""予算科目 pages: every staff member reads them (a department picks one
for each order); city administrators add, edit and import them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.generic import FormView, ListView

from municipality.models import StaffRole
from municipality.paging import NumberedPageMixin
from municipality.selectors import budget_code_fiscal_years, budget_code_list
from municipality.views import CityRoleRequiredMixin
from procurement.csv_files import CsvError
from procurement.forms import BudgetCodeForm, CsvUploadForm, FiscalYearFilterForm
from procurement.services.budget_codes import (
    CSV_HEADERS,
    budget_code_save,
    budget_codes_import,
)

STAFF = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)


class BudgetCodeListView(CityRoleRequiredMixin, NumberedPageMixin, ListView):
    required_roles = STAFF
    template_name = "procurement/budget_code_list.html"
    context_object_name = "budget_codes"
    paginate_by = 100

    def get_queryset(self):
        municipality = self.request.city.municipality
        self.filter_form = FiscalYearFilterForm(
            self.request.GET,
            years=budget_code_fiscal_years(municipality=municipality),
        )
        codes = budget_code_list(municipality=municipality)
        if self.filter_form.is_valid() and self.filter_form.cleaned_data["fiscal_year"]:
            codes = codes.filter(
                fiscal_year=self.filter_form.cleaned_data["fiscal_year"]
            )
        return codes.order_by(
            "-fiscal_year", "account", "kan", "kou", "moku", "setsu", "saisetsu"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter_form=self.filter_form,
            can_edit=self.request.city.has_role(StaffRole.CITY_ADMIN),
            **kwargs,
        )


class BudgetCodeFormView(CityRoleRequiredMixin, FormView):
    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "procurement/budget_code_form.html"
    form_class = BudgetCodeForm

    def get_instance(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(
            budget_code_list(municipality=self.request.city.municipality),
            pk=self.kwargs["pk"],
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_instance()}

    def form_valid(self, form):
        try:
            code = budget_code_save(
                municipality=self.request.city.municipality,
                actor=self.request.user,
                fields=form.cleaned_data,
                budget_code=self.get_instance(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("予算科目 %(code)s を保存しました。") % {"code": code},
        )
        return redirect(
            "city:budget_codes", municipality_slug=self.request.city.municipality.slug
        )


class BudgetCodeImportView(CityRoleRequiredMixin, FormView):
    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "procurement/budget_code_import.html"
    form_class = CsvUploadForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(headers=CSV_HEADERS, **kwargs)

    def form_valid(self, form):
        try:
            added, updated = budget_codes_import(
                municipality=self.request.city.municipality,
                actor=self.request.user,
                data=form.cleaned_data["file"].read(),
            )
        except CsvError as error:
            return self.render_to_response(
                self.get_context_data(form=form, problems=error.problems)
            )
        messages.success(
            self.request,
            gettext(
                "予算科目を取り込みました（追加 %(added)s 件、更新 %(updated)s 件）。"
            )
            % {"added": added, "updated": updated},
        )
        return redirect(
            "city:budget_codes", municipality_slug=self.request.city.municipality.slug
        )
