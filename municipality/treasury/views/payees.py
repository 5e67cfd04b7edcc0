"""振込先の指定: the treasury's page for choosing the account an approved
invoice is paid to, when the one it names was changed or removed since
issue, or it names none; and 予算科目の指定 of an invoice without an
order. Another municipality's invoice, a draft, or an account that is not
the invoice's supplier's answers 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views.generic import TemplateView

from invoices.accounting import accounting_defaults, fiscal_year_of_invoice
from invoices.duties import invoice_in_conflict
from invoices.models import InvoiceStatus
from municipality.models import InvoiceAccounting
from municipality.selectors import budget_codes_choosable
from municipality.treasury.forms import PayableBudgetCodeForm, PayeeChoiceForm
from municipality.treasury.selectors import (
    payee_invoice_get,
    payee_options,
    payees_of,
)
from municipality.treasury.services.budget_codes import invoice_budget_code_set
from municipality.treasury.services.payees import payee_choose
from municipality.treasury.views.city import TreasuryRoleMixin
from partners.selectors import bank_account_list_for_supplier


class PayeeView(TreasuryRoleMixin, TemplateView):
    """GET: the invoice's payee (named, chosen, why it is flagged) and the
    supplier's current accounts to choose from, those added or changed
    within 30 days highlighted. POST: the choice with its reason."""

    template_name = "municipality/payee.html"

    def get_invoice(self):
        return payee_invoice_get(municipality=self.municipality, pk=self.kwargs["pk"])

    def get_context_data(self, *, invoice, form=None, **kwargs):
        payee = payees_of([invoice])[invoice.pk]
        options = payee_options(invoice=invoice)
        conflict = invoice_in_conflict(actor=self.request.user, invoice=invoice)
        approved = invoice.status == InvoiceStatus.APPROVED
        return super().get_context_data(
            invoice=invoice,
            named=invoice.snapshot.get("bank_account") or {},
            payee=payee,
            choices=invoice.payee_choices.select_related("chosen_by").order_by("pk"),
            options=options,
            has_recent=any(option.recent for option in options),
            approved=approved,
            conflict=conflict,
            can_choose=approved and payee.flagged and bool(options) and not conflict,
            form=form or PayeeChoiceForm(),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(invoice=self.get_invoice())
        )

    def post(self, request, *args, **kwargs):
        invoice = self.get_invoice()
        form = PayeeChoiceForm(request.POST)
        if form.is_valid():
            account = get_object_or_404(
                bank_account_list_for_supplier(supplier=invoice.supplier),
                pk=form.cleaned_data["bank_account"],
            )
            try:
                choice = payee_choose(
                    invoice=invoice,
                    bank_account=account,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    gettext(
                        "請求書 %(number)s の振込先を指定しました（%(bank)s %(branch)s "
                        "口座番号 %(account_number)s）。取引先の管理者にメールで"
                        "知らせました。"
                    )
                    % {
                        "number": invoice.number,
                        "bank": choice.bank_account["bank_name"],
                        "branch": choice.bank_account["branch_name"],
                        "account_number": choice.bank_account["account_number"],
                    },
                )
                return redirect(
                    "city:payables", municipality_slug=self.municipality.slug
                )
        return self.render_to_response(
            self.get_context_data(invoice=invoice, form=form)
        )


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
