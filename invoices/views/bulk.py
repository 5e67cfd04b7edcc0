"""Bulk actions, each after the confirmation step
(``invoices.views.confirm``): まとめて発行 from the supplier's invoice list
and まとめて承認 from the department's inbox. The ticked invoices are read
through the user's own access: an ID the user may not see (another
supplier's, another department's or municipality's) answers 404 and nothing
is done. The confirmation page lists every invoice and, when some cannot be
acted on, every problem by invoice, with no button: all or nothing
(``invoices.services.bulk``)."""

from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _, ngettext
from django.views import View

from invoices.forms.bulk import BulkApproveForm, BulkIssueForm
from invoices.models import Invoice
from invoices.selectors import invoice_list_for_access, invoice_list_for_supplier
from invoices.services.bulk import (
    BulkError,
    invoices_approve,
    invoices_approve_problems,
    invoices_issue,
    invoices_issue_problems,
)
from invoices.views.confirm import Confirmation, confirmation_response, confirmed
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin
from partners.selectors import bank_account_list_for_supplier


def _all_or_404(queryset, ids: list[int]) -> list[Invoice]:
    """The invoices of ``ids`` in ``queryset``, by ID; 404 unless every one
    is there (the user may not see it, or it does not exist)."""
    invoices = list(queryset.filter(pk__in=ids).order_by("pk"))
    if len(invoices) != len(ids):
        raise Http404
    return invoices


def _total(invoices: list[Invoice]) -> Decimal:
    return sum((invoice.total for invoice in invoices), Decimal(0))


def _refuse_selection(request, form, url: str):
    """Back to the list with what was wrong with the ticked invoices."""
    for message in form.errors.get("invoices", []):
        messages.error(request, message)
    return redirect(url)


class BulkActionView(View):
    """GET (``?invoices=1&invoices=2``) and a POST without the
    confirmation show the confirmation page; the confirmed POST acts."""

    form_class: type
    confirmation: Confirmation
    template_name = ""

    def list_url(self) -> str:
        raise NotImplementedError

    def queryset(self):
        raise NotImplementedError

    def problems(self, invoices: list[Invoice], form) -> list:
        raise NotImplementedError

    def perform(self, invoices: list[Invoice], form) -> list[Invoice]:
        raise NotImplementedError

    def success_message(self, done: list[Invoice]) -> str:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.handle(self.form_class(request.GET), act=False)

    def post(self, request, *args, **kwargs):
        return self.handle(self.form_class(request.POST), act=confirmed(request))

    def handle(self, form, *, act: bool):
        form.is_valid()
        if "invoices" in form.errors:
            return _refuse_selection(self.request, form, self.list_url())
        invoices = _all_or_404(self.queryset(), form.cleaned_data["invoices"])
        if form.errors:
            return self.ask(invoices, form, [])
        if not act:
            return self.ask(invoices, form, self.problems(invoices, form))
        try:
            done = self.perform(invoices, form)
        except BulkError as error:
            return self.ask(invoices, form, error.problems)
        messages.success(self.request, self.success_message(done))
        return redirect(self.list_url())

    def ask(self, invoices: list[Invoice], form, problems: list):
        return confirmation_response(
            self.request,
            template_name=self.template_name,
            confirmation=self.confirmation,
            cancel_url=self.list_url(),
            form=form,
            problems=[str(problem) for problem in problems],
            invoices=invoices,
            total=_total(invoices),
            **self.extra_context(),
        )

    def extra_context(self) -> dict:
        return {}


class BulkIssueView(BulkActionView):
    """まとめて発行: the supplier's ticked drafts, each issued as alone."""

    form_class = BulkIssueForm
    confirmation = Confirmation(_("まとめて発行"), _("まとめて発行を確定する"))
    template_name = "invoices/confirm/bulk_issue.html"

    def list_url(self):
        return reverse("supplier:invoices")

    def queryset(self):
        return invoice_list_for_supplier(
            supplier=self.request.supplier_access.supplier
        ).select_related("supplier", "connection__department", "corrects")

    def problems(self, invoices, form):
        return invoices_issue_problems(invoices=invoices)

    def perform(self, invoices, form):
        return invoices_issue(invoices=invoices, actor=self.request.user)

    def extra_context(self):
        # Each draft names the supplier's default account, as the uploads'
        # drafts do (``invoice_issue`` without a chosen account).
        access = self.request.supplier_access
        accounts = list(bank_account_list_for_supplier(supplier=access.supplier))
        return {
            "bank_accounts": accounts,
            "payee_account": next((a for a in accounts if a.is_default), None),
            "is_owner": access.is_owner,
        }

    def success_message(self, done):
        return ngettext(
            "%(count)s 件の請求書を発行しました。宛先の部署に届きました。",
            "%(count)s 件の請求書を発行しました。宛先の部署に届きました。",
            len(done),
        ) % {"count": len(done)}


class BulkApproveView(CityRoleRequiredMixin, BulkActionView):
    """まとめて承認: the department's ticked opened invoices, with one
    inspection date, each approved as alone (its own event and mail). Only
    the department's own staff; an invoice they may read but not decide on
    (another department's) answers 404 like one they may not see."""

    required_roles = (StaffRole.DEPARTMENT,)
    form_class = BulkApproveForm
    confirmation = Confirmation(_("まとめて承認"), _("まとめて承認を確定する"))
    template_name = "invoices/confirm/bulk_approve.html"

    def list_url(self):
        return reverse(
            "city:inbox",
            kwargs={"municipality_slug": self.request.city.municipality.slug},
        )

    def queryset(self):
        # The invoices the user may decide on (``invoice_can_act``).
        access = self.request.city
        return invoice_list_for_access(access=access).filter(
            department_id__in=access.department_ids
        )

    def problems(self, invoices, form):
        return invoices_approve_problems(invoices=invoices, actor=self.request.user)

    def perform(self, invoices, form):
        return invoices_approve(
            invoices=invoices,
            actor=self.request.user,
            inspection_date=form.cleaned_data["inspection_date"],
        )

    def success_message(self, done):
        return ngettext(
            "%(count)s 件の請求書を承認しました。",
            "%(count)s 件の請求書を承認しました。",
            len(done),
        ) % {"count": len(done)}

    def extra_context(self):
        return {"city": self.request.city}
