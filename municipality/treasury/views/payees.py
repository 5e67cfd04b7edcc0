"""振込先の指定: the treasury's page for choosing the account an approved
invoice is paid to, when the one it names was changed or removed since
issue, or it names none. Another municipality's invoice, a draft, or an
account that is not the invoice's supplier's answers 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext, gettext_lazy as _
from django.views.generic import TemplateView

from invoices.duties import invoice_in_conflict
from invoices.models import InvoiceStatus
from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from municipality.treasury.forms import PayeeChoiceForm
from municipality.treasury.selectors.payees import (
    payee_invoice_get,
    payee_options,
    payees_of,
)
from municipality.treasury.services.payees import payee_choice_check, payee_choose
from municipality.treasury.views.city import TreasuryRoleMixin
from partners.selectors import bank_account_list_for_supplier

CONFIRMATION = Confirmation(_("振込先の指定"), _("振込先の指定を確定する"))


class PayeeView(TreasuryRoleMixin, TemplateView):
    """GET: the invoice's payee (named, chosen, why it is flagged) and the
    supplier's current accounts to choose from, those added or changed
    within 30 days highlighted. POST: the choice with its reason, then the
    confirmation step (``invoices.views.confirm``) showing the invoice, the
    account money will go to and the reason; only the confirmed POST
    records the choice."""

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
                if not confirmed(request):
                    payee_choice_check(invoice=invoice, actor=request.user)
                    return self.ask(invoice, form, account)
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

    def ask(self, invoice, form, account):
        return confirmation_response(
            self.request,
            template_name="municipality/payee_confirm.html",
            confirmation=CONFIRMATION,
            cancel_url=self.request.path,
            form=form,
            city=self.request.city,
            invoice=invoice,
            named=invoice.snapshot.get("bank_account") or {},
            account=account,
        )
