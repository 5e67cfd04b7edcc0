"""City staff pages for invoices. ``request.city`` is set by the tenancy
middleware; every invoice is read through the staff member's access."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView

from invoices.attachments import attachment_response
from invoices.duties import (
    DutyConflictError,
    invoice_conflict_message,
    invoice_in_conflict,
)
from invoices.filters import deadline_alert
from invoices.forms.city import ApproveForm, ReturnForm
from invoices.models import EventKind, InvoiceStatus
from invoices.presentation import invoice_document
from invoices.selectors import (
    invoice_can_act,
    invoice_chain,
    invoice_events,
    invoice_get_for_access,
)
from invoices.services.decisions import (
    invoice_approve,
    invoice_return,
    invoice_view_record,
)
from invoices.services.records import invoices_record_export
from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from invoices.workflow import TRANSITIONS, TransitionError
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin


class CityInvoiceMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)

    def get_object(self, queryset=None):
        return invoice_get_for_access(access=self.request.city, pk=self.kwargs["pk"])


class InvoicePageMixin(CityInvoiceMixin):
    """The detail page: the document, its state and deadline, the chain,
    the history, and the action forms for those who may act. A staff
    member who belongs to the issuing supplier is told why they get no
    forms (separation of duties)."""

    template_name = "invoices/city_invoice_detail.html"
    context_object_name = "invoice"

    def duty_conflict(self) -> str:
        """Why the user may not decide on this invoice although it is
        their department's, or ""."""
        invoice = self.object
        if invoice_can_act(
            access=self.request.city, invoice=invoice
        ) and invoice_in_conflict(actor=self.request.user, invoice=invoice):
            return invoice_conflict_message(invoice)
        return ""

    def get_context_data(self, **kwargs):
        invoice = self.object
        can_act = invoice_can_act(access=self.request.city, invoice=invoice)
        duty_conflict = self.duty_conflict()
        context = {
            "doc": invoice_document(invoice),
            "chain": invoice_chain(invoice),
            "events": invoice_events(invoice),
            "deadline_alert": deadline_alert(invoice, today=timezone.localdate()),
            "can_act": can_act,
            "duty_conflict": duty_conflict,
        }
        if can_act and not duty_conflict:
            allowed = TRANSITIONS[invoice.status]
            if InvoiceStatus.RETURNED in allowed:
                context["return_form"] = ReturnForm()
            if InvoiceStatus.APPROVED in allowed:
                context["approve_form"] = ApproveForm(invoice=invoice)
        return super().get_context_data(**{**context, **kwargs})


class InvoiceDetailView(InvoicePageMixin, DetailView):
    """One invoice for staff.

    GET records the first opening (開封) — deliberate: the invoice states
    move from issued to opened on the first view by the department's staff
    (DESIGN.md), the supplier sees when it was opened, can withdraw it only
    until then, and the unopened reminders stop. Every other look (later
    ones, treasury and city administrators reading along, a staff member
    who belongs to the issuing supplier) is logged in the history as a
    view. ``invoice_view_record`` decides which, under the invoice's row
    lock."""

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        self.object = invoice_view_record(
            invoice=invoice,
            actor=request.user,
            opens=invoice_can_act(access=request.city, invoice=invoice),
        )
        return self.render_to_response(self.get_context_data(object=self.object))


class InvoiceActionView(InvoicePageMixin, DetailView):
    """Return and approve, after the confirmation step
    (``invoices.views.confirm``). Only the department's own staff may act;
    for anyone else the invoice does not exist here (404).

    GET shows the confirmation page with the form to fill in; a POST
    without the confirmation validates the form and shows what will happen
    (an invalid form shows the invoice page again with its errors); only
    the confirmed POST calls ``perform``."""

    form_class: type[forms.Form]
    form_context_name = ""
    success_message = ""
    # The status the action moves the invoice to, and its confirmation.
    target = ""
    confirmation: Confirmation
    confirm_template_name = ""

    def get_object(self, queryset=None):
        invoice = super().get_object(queryset)
        if not invoice_can_act(access=self.request.city, invoice=invoice):
            raise Http404
        return invoice

    def perform(self, data: dict) -> None:
        raise NotImplementedError

    def refusal(self):
        """The invoice page with the reason, when the action cannot be taken
        on this invoice now (separation of duties, its status), or None."""
        if conflict := self.duty_conflict():
            messages.error(self.request, conflict)
            return self._to_detail()
        # An unopened invoice is opened on the way (``invoice_view_record``).
        if self.object.status not in (InvoiceStatus.ISSUED, InvoiceStatus.OPENED):
            messages.error(self.request, str(TransitionError(self.object, self.target)))
            return self._to_detail()
        return None

    def form_kwargs(self) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.refusal() or self.ask(self.form_class(**self.form_kwargs()))

    def ask(self, form: forms.Form):
        return confirmation_response(
            self.request,
            template_name=self.confirm_template_name,
            confirmation=self.confirmation,
            cancel_url=self._detail_url(),
            form=form,
            invoice=self.object,
            city=self.request.city,
        )

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if refused := self.refusal():
            return refused
        form = self.form_class(request.POST, **self.form_kwargs())
        if form.is_valid():
            if not confirmed(request):
                return self.ask(form)
            try:
                self.perform(form.cleaned_data)
            except DutyConflictError as error:
                # Became a member of the supplier since the check above; the
                # service refused and changed nothing.
                messages.error(request, " ".join(error.messages))
                return self._to_detail()
            except TransitionError as error:
                # Someone else acted first, or this was a second click: the
                # service changed nothing; show the invoice as it now is.
                messages.error(request, str(error))
                return self._to_detail()
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, str(self.success_message))
                return self._to_detail()
        if confirmed(request):
            return self.ask(form)
        return self.render_to_response(
            self.get_context_data(**{self.form_context_name: form})
        )

    def _detail_url(self) -> str:
        return reverse(
            "city:invoice",
            kwargs={
                "municipality_slug": self.request.city.municipality.slug,
                "pk": self.object.pk,
            },
        )

    def _to_detail(self):
        return redirect(self._detail_url())


class InvoiceReturnView(InvoiceActionView):
    form_class = ReturnForm
    form_context_name = "return_form"
    success_message = _("請求書を差し戻しました。取引先の画面に理由が表示されます。")
    target = InvoiceStatus.RETURNED
    confirmation = Confirmation(_("請求書の差戻し"), _("差戻しを確定する"), danger=True)
    confirm_template_name = "invoices/confirm/return.html"

    def perform(self, data):
        invoice_return(
            invoice=self.object,
            actor=self.request.user,
            reason=data["reason"],
            explanation=data["explanation"],
            severity=data["severity"],
        )


class InvoiceApproveView(InvoiceActionView):
    form_class = ApproveForm
    form_context_name = "approve_form"
    success_message = _("請求書を承認しました。")
    target = InvoiceStatus.APPROVED
    confirmation = Confirmation(_("請求書の承認"), _("承認を確定する"))
    confirm_template_name = "invoices/confirm/approve.html"

    def form_kwargs(self) -> dict:
        return {"invoice": self.object}

    def perform(self, data):
        invoice_approve(
            invoice=self.object,
            actor=self.request.user,
            inspection_date=data["inspection_date"],
            budget_code=data.get("budget_code"),
        )


class InvoiceAttachmentView(CityInvoiceMixin, View):
    """Download of one attachment (添付書類) of an invoice the staff member
    may see; recorded in the invoice's history."""

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        attachment = get_object_or_404(
            invoice.attachments.all(), pk=kwargs["attachment_pk"]
        )
        # Opened first, so that a lost file is not logged as downloaded.
        response = attachment_response(attachment)
        invoices_record_export(
            invoices=[invoice],
            actor=request.user,
            kind=EventKind.DOWNLOADED,
            data={"attachment": attachment.original_name},
        )
        return response
