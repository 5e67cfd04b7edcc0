"""予算科目の指定: the treasury's page for naming the budget code of an
approved invoice without an order, until it is in a batch. Another
municipality's invoice or a draft answers 404; another municipality's
budget code is not among the choices."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.generic import TemplateView

from invoices.accounting import accounting_defaults, fiscal_year_of_invoice
from municipality.models import InvoiceAccounting
from municipality.selectors import budget_codes_choosable
from municipality.treasury.forms import PayableBudgetCodeForm
from municipality.treasury.selectors.payees import payee_invoice_get
from municipality.treasury.services.budget_codes import invoice_budget_code_set
from municipality.treasury.views.city import TreasuryRoleMixin


class PayableBudgetCodeView(TreasuryRoleMixin, TemplateView):
    """予算科目の指定: GET shows the approved invoice's 会計年度 and budget
    code and, for an invoice without an order not yet in a batch, the
    choice of the municipality's active codes of that year; POST names
    it. Another city's code is not among the choices (a form error)."""

    template_name = "municipality/payable_budget_code.html"

    def get_invoice(self):
        return payee_invoice_get(municipality=self.municipality, pk=self.kwargs["pk"])

    def make_form(self, invoice, data=None):
        record = InvoiceAccounting.objects.filter(invoice=invoice).first()
        year = record.fiscal_year if record else fiscal_year_of_invoice(invoice)
        return (
            PayableBudgetCodeForm(
                data,
                budget_codes=budget_codes_choosable(
                    municipality=self.municipality, fiscal_year=year
                ),
                fiscal_year=year,
                initial={"budget_code": record.budget_code_id if record else None},
            ),
            record,
            year,
        )

    def render_page(self, invoice, data=None):
        form, record, year = self.make_form(invoice, data)
        return self.render_to_response(
            self.get_context_data(
                invoice=invoice,
                form=form,
                record=record,
                fiscal_year=year,
                from_order=accounting_defaults(invoice) is not None,
            )
        )

    def get(self, request, *args, **kwargs):
        return self.render_page(self.get_invoice())

    def post(self, request, *args, **kwargs):
        invoice = self.get_invoice()
        form, _record, _year = self.make_form(invoice, request.POST)
        if form.is_valid():
            try:
                record = invoice_budget_code_set(
                    invoice=invoice,
                    budget_code=form.cleaned_data["budget_code"],
                    actor=request.user,
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                code = record.budget_code
                messages.success(
                    request,
                    gettext("請求書 %(number)s の予算科目を「%(code)s」にしました。")
                    % {
                        "number": invoice.number,
                        "code": f"{code.code} {code.name}"
                        if code
                        else gettext("指定なし"),
                    },
                )
                return redirect(
                    "city:payables", municipality_slug=self.municipality.slug
                )
            return redirect(request.path)
        return self.render_page(invoice, request.POST)
