"""Treasury pages (会計管理者・出納室): the treasury's home, payables, the
remittance data of a period, the withholding statements, and the treasury
settings for city administrators. Thin views: they read through
``municipality.treasury.selectors`` and write through
``municipality.treasury.services``. Anyone without the role gets 404."""

from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from invoices.duties import supplier_ids_of
from invoices.filters import deadline_alert
from invoices.models import Invoice
from municipality.models import BudgetCode, StaffRole
from municipality.paging import NumberedPageMixin
from municipality.selectors import budget_code_list, department_list_for_access
from municipality.treasury.forms import (
    AddToBatchForm,
    PayablesFilterForm,
    TreasurySettingsForm,
    WithholdingStatementForm,
)
from municipality.treasury.selectors.batches import batch_list_draft, batch_list_open
from municipality.treasury.selectors.notices import remittance_notices_for_municipality
from municipality.treasury.selectors.payables import (
    payables_fiscal_years,
    payables_list,
    payables_waiting_count,
)
from municipality.treasury.selectors.payees import Payee, payees_of
from municipality.treasury.selectors.settings import treasury_settings_get
from municipality.treasury.selectors.statements import (
    withholding_paid_invoices,
    withholding_statement_rows,
)
from municipality.treasury.services.batches import batch_add_invoices
from municipality.treasury.services.settings import treasury_settings_save
from municipality.treasury.services.statements import withholding_statement_csv
from municipality.treasury.views.downloads import remittance_period, remittance_response
from municipality.treasury.views.links import PkLinks
from municipality.treasury.views.supplier import NO_NOTICES_IN_PERIOD
from municipality.views import CityRoleRequiredMixin
from partners.selectors import connection_list_for_municipality


class TreasuryRoleMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.TREASURY,)

    @property
    def municipality(self):
        return self.request.city.municipality


def _batch_redirect(batch):
    return redirect(
        "city:batch", municipality_slug=batch.municipality.slug, pk=batch.pk
    )


def _error_messages(error: ValidationError) -> list[str]:
    return [message for message in error.messages if message]


class TreasuryView(CityRoleRequiredMixin, NumberedPageMixin, ListView):
    """会計管理者・出納室: the open payment batches and the number of approved
    invoices waiting for one, beside the 支払先マスタ with payee codes."""

    required_roles = (StaffRole.TREASURY,)
    template_name = "municipality/treasury.html"
    context_object_name = "connections"
    paginate_by = 50

    def get_queryset(self):
        return connection_list_for_municipality(
            municipality=self.request.city.municipality
        )

    def get_context_data(self, **kwargs):
        municipality = self.request.city.municipality
        return super().get_context_data(
            open_batches=batch_list_open(municipality=municipality),
            waiting_count=payables_waiting_count(municipality=municipality),
            settings_missing=treasury_settings_get(municipality=municipality) is None,
            **kwargs,
        )


class PayableRow(NamedTuple):
    """One row of the payables, its links and budget code worked out once
    in Python: a ``{% url %}`` per link and a lookup through an invoice
    without an accounting record (which makes the template call ``dir()``
    on it) cost more than the page's SQL."""

    invoice: Invoice
    alert: str
    payee: Payee
    conflict: bool
    url: str
    payee_url: str
    budget_code_url: str  # empty once in a batch or under a commitment
    batch_url: str
    budget_code: BudgetCode | None


def payable_rows(
    invoices, *, payees, conflict_supplier_ids, slug: str, today
) -> list[PayableRow]:
    links = {
        name: PkLinks(f"city:{name}", municipality_slug=slug)
        for name in ("invoice", "invoice_payee", "invoice_budget_code", "batch")
    }
    rows = []
    for invoice in invoices:
        record = getattr(invoice, "accounting", None)
        editable = not invoice.batch_id and not (record and record.commitment_number)
        rows.append(
            PayableRow(
                invoice=invoice,
                alert=deadline_alert(invoice, today=today),
                payee=payees[invoice.pk],
                conflict=invoice.supplier_id in conflict_supplier_ids,
                url=links["invoice"](invoice.pk),
                payee_url=links["invoice_payee"](invoice.pk),
                budget_code_url=links["invoice_budget_code"](invoice.pk)
                if editable
                else "",
                batch_url=links["batch"](invoice.batch_id) if invoice.batch_id else "",
                budget_code=record.budget_code if record else None,
            )
        )
    return rows


class PayablesView(TreasuryRoleMixin, NumberedPageMixin, ListView):
    """支払対象: the approved invoices, nearest deadline first, with filters
    and checkboxes to add the ticked ones to a draft batch."""

    template_name = "municipality/payables.html"
    context_object_name = "invoices"
    paginate_by = 50

    def get_queryset(self):
        years = payables_fiscal_years(municipality=self.municipality)
        self.filter_form = PayablesFilterForm(
            self.request.GET,
            departments=department_list_for_access(access=self.request.city),
            fiscal_years=years,
            budget_codes=budget_code_list(municipality=self.municipality).filter(
                fiscal_year__in=years
            ),
        )
        invoices = payables_list(municipality=self.municipality)
        if not self.filter_form.is_valid():
            return invoices.none()
        return self.filter_form.filter(invoices)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batches = batch_list_draft(municipality=self.municipality)
        add_form = AddToBatchForm(
            batches=batches, initial={"batch": self.request.GET.get("batch")}
        )
        today = timezone.localdate()
        # Invoices of a supplier the user belongs to cannot be picked
        # (separation of duties); the service refuses them anyway.
        conflict_supplier_ids = supplier_ids_of(self.request.user)
        # Flagged: the account the invoice names (or the one chosen) was
        # changed or removed since, or it names none; cannot be picked.
        payees = payees_of(context["object_list"])
        context.update(
            filter_form=self.filter_form,
            add_form=add_form,
            has_draft_batches=add_form.fields["batch"].queryset.exists(),
            rows=payable_rows(
                context["object_list"],
                payees=payees,
                conflict_supplier_ids=conflict_supplier_ids,
                slug=self.municipality.slug,
                today=today,
            ),
            has_flagged=any(payee.flagged for payee in payees.values()),
            conflict_supplier_ids=conflict_supplier_ids,
            has_conflicts=any(
                invoice.supplier_id in conflict_supplier_ids
                for invoice in context["object_list"]
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = AddToBatchForm(
            request.POST, batches=batch_list_draft(municipality=self.municipality)
        )
        if form.is_valid():
            batch = form.cleaned_data["batch"]
            try:
                added = batch_add_invoices(
                    batch=batch,
                    invoice_ids=form.cleaned_data["invoices"],
                    actor=request.user,
                )
            except ValidationError as error:
                for message in _error_messages(error):
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s 件の請求書を支払バッチ %(number)s に追加しました。",
                        "%(count)s 件の請求書を支払バッチ %(number)s に追加しました。",
                        len(added),
                    )
                    % {"count": len(added), "number": batch.number},
                )
                return _batch_redirect(batch)
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return redirect(request.get_full_path())


class RemittancePeriodExportView(TreasuryRoleMixin, View):
    """The remittance data of every notice the municipality paid in a
    period."""

    def get(self, request, *args, **kwargs):
        period = remittance_period(request)
        back = redirect("city:batches", municipality_slug=self.municipality.slug)
        if period is None:
            return back
        notices = remittance_notices_for_municipality(
            municipality=self.municipality,
            date_from=period["date_from"],
            date_to=period["date_to"],
        )
        if not notices.exists():
            messages.info(request, gettext(NO_NOTICES_IN_PERIOD))
            return back
        return remittance_response(
            request,
            notices=notices,
            fmt=period["format"],
            basename=(
                f"remittance_{period['date_from']:%Y%m%d}-{period['date_to']:%Y%m%d}"
            ),
        )


class WithholdingStatementMixin(TreasuryRoleMixin):
    def statement_form(self) -> WithholdingStatementForm:
        data = self.request.GET if "year" in self.request.GET else None
        return WithholdingStatementForm(
            data, initial={"year": timezone.localdate().year}
        )

    def statement_year(self, form: WithholdingStatementForm) -> int | None:
        if not form.is_bound:
            return form.initial["year"]
        return form.cleaned_data["year"] if form.is_valid() else None


class WithholdingStatementView(WithholdingStatementMixin, TemplateView):
    """源泉徴収（支払調書の集計）: per payee and kind of fee, what the city
    paid individuals in a calendar year and withheld, with the payees over
    the filing threshold marked, and the CSV of it."""

    template_name = "municipality/withholding_statement.html"

    def get_context_data(self, **kwargs):
        form = self.statement_form()
        year = self.statement_year(form)
        rows = []
        if year is not None:
            rows = withholding_statement_rows(
                withholding_paid_invoices(municipality=self.municipality, year=year)
            )
        return super().get_context_data(form=form, year=year, rows=rows, **kwargs)


class WithholdingStatementCsvView(WithholdingStatementMixin, View):
    """The 支払調書 summary of a year as CSV; the download is recorded."""

    def get(self, request, *args, **kwargs):
        form = self.statement_form()
        year = self.statement_year(form)
        if year is None:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
            return redirect(
                "city:withholding_statement",
                municipality_slug=self.municipality.slug,
            )
        data = withholding_statement_csv(
            municipality=self.municipality, year=year, actor=request.user
        )
        return _attachment(data, f"withholding_{year}.csv", "text/csv")


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class TreasurySettingsView(CityRoleRequiredMixin, FormView):
    """会計の設定, kept by city administrators."""

    required_roles = (StaffRole.CITY_ADMIN,)
    template_name = "municipality/treasury_settings.html"
    form_class = TreasurySettingsForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": treasury_settings_get(
                municipality=self.request.city.municipality
            ),
        }

    def form_valid(self, form):
        treasury_settings_save(
            municipality=self.request.city.municipality,
            values=form.cleaned_data,
            actor=self.request.user,
        )
        messages.success(self.request, gettext("会計の設定を保存しました。"))
        return redirect(
            "city:treasury_settings",
            municipality_slug=self.request.city.municipality.slug,
        )
