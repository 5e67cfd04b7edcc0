"""City staff pages for invoices. ``request.city`` is set by the tenancy
middleware; every invoice is read through the staff member's access."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
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
from invoices.selectors import invoice_can_act, invoice_chain, invoice_get_for_access
from invoices.services import (
    invoice_approve,
    invoice_return,
    invoice_view_record,
    invoices_record_export,
)
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
            "events": invoice.events.select_related("actor").order_by("pk"),
            "deadline_alert": deadline_alert(invoice, today=timezone.localdate()),
            "can_act": can_act,
            "duty_conflict": duty_conflict,
        }
        if can_act and not duty_conflict:
            allowed = TRANSITIONS[invoice.status]
            if InvoiceStatus.RETURNED in allowed:
                context["return_form"] = ReturnForm()
            if InvoiceStatus.APPROVED in allowed:
                context["approve_form"] = ApproveForm()
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
    """POST only: validate ``form_class`` and call ``perform``. Only the
    department's own staff may act; for anyone else the invoice does not
    exist here (404). An invalid form shows the page again with its errors.
    """

    http_method_names = ["post"]
    form_class: type[forms.Form]
    form_context_name = ""
    success_message = ""

    def get_object(self, queryset=None):
        invoice = super().get_object(queryset)
        if not invoice_can_act(access=self.request.city, invoice=invoice):
            raise Http404
        return invoice

    def perform(self, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if conflict := self.duty_conflict():
            messages.error(request, conflict)
            return self._to_detail()
        form = self.form_class(request.POST)
        if form.is_valid():
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
                messages.success(request, self.success_message)
                return self._to_detail()
        return self.render_to_response(
            self.get_context_data(**{self.form_context_name: form})
        )

    def _to_detail(self):
        return redirect(
            "city:invoice",
            municipality_slug=self.request.city.municipality.slug,
            pk=self.object.pk,
        )


class InvoiceReturnView(InvoiceActionView):
    form_class = ReturnForm
    form_context_name = "return_form"
    success_message = _("請求書を差し戻しました。取引先の画面に理由が表示されます。")

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

    def perform(self, data):
        invoice_approve(
            invoice=self.object,
            actor=self.request.user,
            inspection_date=data["inspection_date"],
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
