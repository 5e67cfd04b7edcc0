"""Supplier pages for invoices. ``request.supplier_access`` is set by the
tenancy middleware; every invoice is read through the member's supplier, so
another supplier's invoice answers 404 like one that does not exist."""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView

from invoices.attachments import (
    attachment_delete,
    attachment_response,
    invoice_draft_delete_with_attachments,
    invoice_draft_save_with_attachments,
)
from invoices.forms import (
    InvoiceFilterForm,
    InvoiceForm,
    LineFormSet,
    connection_choices,
    line_initial,
)
from invoices.models import FrozenInvoiceError, Invoice, InvoiceStatus
from invoices.paging import KeysetListMixin, Part
from invoices.presentation import RATE_LABELS, invoice_document
from invoices.selectors import (
    invoice_chain,
    invoice_events,
    invoice_get_for_supplier,
    invoice_list_for_supplier,
)
from invoices.services.decisions import invoice_remind, invoice_withdraw
from invoices.services.drafts import (
    DRAFT_FIELDS,
    invoice_correct,
    invoice_number_suggest,
)
from invoices.services.issue import invoice_issue, invoice_issue_problems
from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from invoices.workflow import TransitionError
from partners.models import BankAccount
from partners.selectors import bank_account_list_for_supplier

# Lazy: added to messages with str(), so that they are read in the user's
# language (the message store keeps them after the language middleware ends).
ALREADY_ISSUED = _(
    "この請求書はすでに発行されています。二重に発行されることはありません。"
)
CHOOSE_BANK_ACCOUNT = _(
    "振込先口座を選んでください。請求書には、選んだ口座が振込先として記載されます。"
)
WITHDRAW_OPENED = _(
    "開封済みの請求書は取り下げできません。取り消したい場合は、"
    "宛先の部署に連絡して差戻しを依頼してください。"
)


def _invoice(request, pk: int) -> Invoice:
    return invoice_get_for_supplier(supplier=request.supplier_access.supplier, pk=pk)


def _to_invoice(invoice: Invoice):
    return redirect("supplier:invoice", pk=invoice.pk)


def _refuse_unless_draft(request, invoice: Invoice):
    """The redirect for a page that only a draft has (edit, delete), or
    ``None`` for a draft."""
    if invoice.is_draft:
        return None
    messages.error(request, str(FrozenInvoiceError()))
    return _to_invoice(invoice)


class SupplierInvoiceMixin:
    def get_object(self, queryset=None):
        return _invoice(self.request, self.kwargs["pk"])


# Newest first; the index on (supplier, created_at, id) serves every page.
SUPPLIER_LIST_ORDER = Part(keys=("-created_at", "-pk"))


class InvoiceListView(KeysetListMixin, ListView):
    """All the supplier's invoices in every municipality, newest first
    (keyset pages: 「次へ」「前へ」「最初へ」)."""

    template_name = "invoices/supplier_invoice_list.html"
    context_object_name = "invoices"
    paginate_by = 50

    @cached_property
    def filter_form(self) -> InvoiceFilterForm:
        return InvoiceFilterForm(self.request.GET)

    def get_queryset(self):
        invoices = (
            invoice_list_for_supplier(supplier=self.request.supplier_access.supplier)
            .order_by()
            .defer("snapshot")
        )
        if self.filter_form.is_valid() and self.filter_form.cleaned_data["status"]:
            invoices = invoices.filter(status=self.filter_form.cleaned_data["status"])
        return invoices

    def keyset_parts(self):
        return [SUPPLIER_LIST_ORDER]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(filter_form=self.filter_form, **kwargs)
        # Drafts on the page get checkboxes for まとめて発行.
        context["has_drafts"] = any(i.is_draft for i in context["object_list"])
        return context


class InvoiceDetailView(SupplierInvoiceMixin, DetailView):
    """One invoice as the supplier sees it: the document, its state (未開封
    / 開封済 with the time), what can be done with it now, the correction
    chain and the history."""

    template_name = "invoices/supplier_invoice_detail.html"
    context_object_name = "invoice"

    def get_context_data(self, **kwargs):
        invoice = self.object
        access = self.request.supplier_access
        return super().get_context_data(
            doc=invoice_document(invoice),
            chain=invoice_chain(invoice),
            events=invoice_events(invoice),
            problems=invoice_issue_problems(invoice) if invoice.is_draft else [],
            attachments=invoice.attachments.all(),
            # The issue step's choice of the account the invoice names.
            bank_accounts=list(bank_account_list_for_supplier(supplier=access.supplier))
            if invoice.is_draft
            else [],
            is_owner=access.is_owner,
            **kwargs,
        )


class InvoiceFormView(View):
    """The draft's entry screen (new or edit). Nothing is saved unless the
    header, every line and every attachment are valid. 「行を追加」 without
    the script comes back here with one more row and the input kept."""

    template_name = "invoices/supplier_invoice_form.html"
    invoice: Invoice | None = None

    @property
    def supplier(self):
        return self.request.supplier_access.supplier

    def initial(self) -> dict:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        form = InvoiceForm(
            supplier=self.supplier, invoice=self.invoice, initial=self.initial()
        )
        return self.render(form, self.formset(initial=self.lines()))

    def lines(self) -> list[dict]:
        """The initial rows of the lines."""
        return line_initial(self.invoice) if self.invoice else []

    def formset(self, data=None, **kwargs):
        return LineFormSet(
            data,
            prefix="lines",
            withholding=self.supplier.is_individual,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = InvoiceForm(
            request.POST, request.FILES, supplier=self.supplier, invoice=self.invoice
        )
        formset = self.formset(request.POST)
        if "add_line" in request.POST:
            if request.FILES:
                messages.info(request, gettext("添付書類は、もう一度選んでください。"))
            return self.render(form.unbound_copy(), formset.with_added_row())
        # Both are validated so that every error shows at once.
        if all([form.is_valid(), formset.is_valid()]):
            try:
                invoice = invoice_draft_save_with_attachments(
                    supplier=self.supplier,
                    actor=request.user,
                    connection=form.cleaned_data["connection"],
                    fields=form.draft_fields(),
                    lines=formset.lines(),
                    invoice=self.invoice,
                    uploads=form.cleaned_data["attachments"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    gettext("下書きを保存しました。内容を確認して発行してください。"),
                )
                return _to_invoice(invoice)
        return self.render(form, formset)

    def render(self, form: InvoiceForm, formset) -> TemplateResponse:
        totals = formset.preview(
            rounding=self.supplier.tax_rounding,
            price_basis=form["price_basis"].value(),
        )
        withholding = None
        if "withholding_kind" in form.fields:
            withholding = formset.withholding_preview(
                kind=form["withholding_kind"].value(), total=totals.total
            )
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "form": form,
                "formset": formset,
                "invoice": self.invoice,
                "supplier": self.supplier,
                "totals": totals,
                "withholding": withholding,
                "tax_rows": [(RATE_LABELS[b.category], b) for b in totals.buckets],
                "chain": invoice_chain(self.invoice) if self.invoice else [],
                "attachments": self.invoice.attachments.all() if self.invoice else [],
                "copied_from": self.copied_from,
            },
        )

    copied_from: Invoice | None = None


class InvoiceCreateView(InvoiceFormView):
    def initial(self):
        # With a single addressee there is nothing to choose.
        connections = list(connection_choices(self.supplier)[:2])
        return {
            "connection": connections[0].pk if len(connections) == 1 else None,
            "number": invoice_number_suggest(supplier=self.supplier),
            "issue_date": timezone.localdate(),
            "price_basis": self.supplier.default_price_basis,
        }


class InvoiceEditView(InvoiceFormView):
    """Only a draft can be edited; an issued invoice's edit page sends the
    user back to it with the reason."""

    def dispatch(self, request, *args, **kwargs):
        self.invoice = _invoice(request, kwargs["pk"])
        if refused := _refuse_unless_draft(request, self.invoice):
            return refused
        return super().dispatch(request, *args, **kwargs)

    def initial(self):
        invoice = self.invoice
        return {
            "connection": invoice.connection_id,
            **{name: getattr(invoice, name) for name in DRAFT_FIELDS},
        }


class InvoiceDeleteView(View):
    """GET asks for confirmation; POST deletes the draft."""

    def get(self, request, pk):
        invoice = _invoice(request, pk)
        if refused := _refuse_unless_draft(request, invoice):
            return refused
        return TemplateResponse(
            request, "invoices/supplier_invoice_delete.html", {"invoice": invoice}
        )

    def post(self, request, pk):
        invoice = _invoice(request, pk)
        try:
            invoice_draft_delete_with_attachments(invoice=invoice, actor=request.user)
        except FrozenInvoiceError as error:
            messages.error(request, str(error))
            return _to_invoice(invoice)
        messages.success(
            request,
            gettext("下書き「%(number)s」を削除しました。")
            % {"number": invoice.number},
        )
        return redirect("supplier:invoices")


class InvoiceCopyView(InvoiceCreateView):
    """複製: the new-invoice form filled with an invoice's content (issued or
    not), with a fresh number and today's date. Nothing is saved until the
    user saves the form, which creates a new draft as 「請求書の作成」 does."""

    def dispatch(self, request, *args, **kwargs):
        self.copied_from = _invoice(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def initial(self):
        source = self.copied_from
        # The addressee only while the supplier can still send to it.
        addressable = connection_choices(self.supplier).filter(pk=source.connection_id)
        return {
            **{name: getattr(source, name) for name in DRAFT_FIELDS},
            **super().initial(),
            "connection": source.connection_id if addressable.exists() else None,
            "price_basis": source.price_basis,
        }

    def lines(self):
        return line_initial(self.copied_from, copy=True)


class InvoiceCorrectView(View):
    """訂正: a draft that corrects a returned invoice, prefilled with its
    content. A second click opens the draft already made
    (``invoice_correct`` decides)."""

    def post(self, request, pk):
        invoice = _invoice(request, pk)
        try:
            draft, created = invoice_correct(invoice=invoice, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _to_invoice(invoice)
        if created:
            messages.success(
                request,
                gettext(
                    "請求書「%(number)s」を訂正する下書きを作りました。"
                    "差戻しの理由に沿って直してから保存し、発行してください。"
                )
                % {"number": invoice.number},
            )
        else:
            messages.info(request, gettext("作成済みの訂正の下書きを開きました。"))
        return redirect("supplier:invoice_edit", pk=draft.pk)


def _chosen_bank_account(request) -> BankAccount | None:
    """The payee account chosen on the issue step: required when the
    supplier has one; another supplier's (or no such) account is 404."""
    accounts = bank_account_list_for_supplier(supplier=request.supplier_access.supplier)
    chosen = request.POST.get("bank_account", "").strip()
    if not chosen:
        if accounts.exists():
            raise ValidationError(str(CHOOSE_BANK_ACCOUNT))
        return None
    if not chosen.isdigit():
        raise Http404
    return get_object_or_404(accounts, pk=int(chosen))


ISSUE = Confirmation(_("請求書の発行"), _("発行を確定する"))
WITHDRAW = Confirmation(_("請求書の取下げ"), _("取下げを確定する"), danger=True)


def _confirm(request, invoice: Invoice, *, template: str, confirmation, **context):
    """The confirmation step of ``invoice``'s action."""
    return confirmation_response(
        request,
        template_name=f"invoices/confirm/{template}.html",
        confirmation=confirmation,
        cancel_url=reverse("supplier:invoice", args=[invoice.pk]),
        invoice=invoice,
        **context,
    )


class InvoiceIssueView(View):
    """発行, after the confirmation step (``invoices.views.confirm``): GET
    shows what will be sent to whom with the choice of the payee account;
    an unconfirmed POST shows the account chosen on the invoice page and
    sends it again with the confirmation. A second click or a resent form
    finds the invoice issued and only says so (the service locks the row
    and checks the status)."""

    def get(self, request, pk):
        return self.ask(request, _invoice(request, pk), choose=True)

    def ask(self, request, invoice: Invoice, *, choose: bool = False):
        """The confirmation page, the account to be chosen on it
        (``choose``) or the one chosen in the POST."""
        if not invoice.is_draft:
            messages.info(request, str(ALREADY_ISSUED))
            return _to_invoice(invoice)
        if problems := invoice_issue_problems(invoice):
            for message in problems:
                messages.error(request, message)
            return _to_invoice(invoice)
        access = request.supplier_access
        accounts = list(bank_account_list_for_supplier(supplier=access.supplier))
        chosen = None
        if not choose:
            try:
                chosen = _chosen_bank_account(request)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return _confirm(
            request,
            invoice,
            template="issue",
            confirmation=ISSUE,
            bank_accounts=accounts,
            chosen_account=chosen,
            is_owner=access.is_owner,
        )

    def post(self, request, pk):
        invoice = _invoice(request, pk)
        if not confirmed(request):
            return self.ask(request, invoice)
        try:
            account = _chosen_bank_account(request)
            invoice = invoice_issue(
                invoice=invoice, actor=request.user, bank_account=account
            )
        except TransitionError:
            messages.info(request, str(ALREADY_ISSUED))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                gettext(
                    "請求書を発行しました（受付番号 %(receipt_number)s）。"
                    "%(municipality)s %(department)sに届きました。"
                )
                % {
                    "receipt_number": invoice.receipt_number,
                    "municipality": invoice.municipality.name,
                    "department": invoice.department.name,
                },
            )
        return _to_invoice(invoice)


def _withdraw_refusal(invoice: Invoice, error: TransitionError) -> str:
    return str(WITHDRAW_OPENED) if invoice.opened_at is not None else str(error)


class InvoiceWithdrawView(View):
    """取下げ, only while nobody at the city has opened the invoice, after
    the confirmation step."""

    def get(self, request, pk):
        return self.ask(request, _invoice(request, pk))

    def ask(self, request, invoice: Invoice):
        if invoice.status != InvoiceStatus.ISSUED:
            error = TransitionError(invoice, InvoiceStatus.WITHDRAWN)
            messages.error(request, _withdraw_refusal(invoice, error))
            return _to_invoice(invoice)
        return _confirm(request, invoice, template="withdraw", confirmation=WITHDRAW)

    def post(self, request, pk):
        invoice = _invoice(request, pk)
        if not confirmed(request):
            return self.ask(request, invoice)
        try:
            invoice_withdraw(invoice=invoice, actor=request.user)
        except TransitionError as error:
            messages.error(request, _withdraw_refusal(error.invoice, error))
        else:
            messages.success(request, gettext("請求書を取り下げました。"))
        return _to_invoice(invoice)


class InvoiceRemindView(View):
    """催促 of an unopened invoice; the service allows one a day."""

    def post(self, request, pk):
        invoice = _invoice(request, pk)
        try:
            invoice_remind(invoice=invoice, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, gettext("宛先の部署に催促のメールを送りました。"))
        return _to_invoice(invoice)


class AttachmentDownloadView(View):
    def get(self, request, pk, attachment_pk):
        invoice = _invoice(request, pk)
        return attachment_response(
            get_object_or_404(invoice.attachments, pk=attachment_pk)
        )


class AttachmentDeleteView(View):
    def post(self, request, pk, attachment_pk):
        invoice = _invoice(request, pk)
        attachment = get_object_or_404(invoice.attachments, pk=attachment_pk)
        try:
            attachment_delete(attachment=attachment)
        except FrozenInvoiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                gettext("添付書類「%(name)s」を削除しました。")
                % {"name": attachment.original_name},
            )
        return _to_invoice(invoice)
