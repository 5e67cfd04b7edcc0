"""Payee accounts (振込先口座): every member of the supplier sees them; only
owners add, change, delete them or choose the default. Clerks get 404 on
those pages, as anyone does for what they are not granted.
``request.supplier_access`` is set by the tenancy middleware."""

from dataclasses import asdict
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from partners.banking import (
    bank_lookup,
    bank_search,
    bank_validate,
    branch_search,
    branch_validate,
)
from partners.forms.bank import BankAccountForm
from partners.models import BankAccount, BankAccountChange
from partners.services.bank_accounts import (
    BankAccountDuplicateError,
    bank_account_create,
    bank_account_delete,
    bank_account_set_default,
    bank_account_update,
)
from partners.views.mixins import SupplierOwnerRequiredMixin


def _account_for(request, pk: int) -> BankAccount:
    # Filtering by the member's own supplier makes another supplier's
    # account a 404, like one that does not exist.
    return get_object_or_404(
        BankAccount, supplier=request.supplier_access.supplier, pk=pk
    )


class BankAccountListView(TemplateView):
    """The supplier's payee accounts and their recent changes."""

    template_name = "partners/bank_account_list.html"

    def get_context_data(self, **kwargs):
        access = self.request.supplier_access
        return super().get_context_data(
            access=access,
            supplier=access.supplier,
            accounts=BankAccount.objects.filter(supplier=access.supplier).order_by(
                "-is_default", "pk"
            ),
            changes=BankAccountChange.objects.filter(supplier=access.supplier)
            .select_related("actor")
            .order_by("-created_at", "-pk")[:20],
            **kwargs,
        )


class BankAccountFormView(SupplierOwnerRequiredMixin, FormView):
    """Two steps: a valid form first renders the confirmation page (names
    from the bank master, zero-padded number, the holder as it will be
    transferred); only its ``confirmed`` POST saves."""

    form_class = BankAccountForm
    template_name = "partners/bank_account_form.html"
    confirm_template_name = "partners/bank_account_confirm.html"
    account: BankAccount | None = None
    success_message = ""

    def save(self, form: BankAccountForm) -> None:
        raise NotImplementedError

    def get_initial(self):
        # A bank or branch chosen from the name search (a GET link) fills
        # the form; a new bank clears the branch of the previous one.
        initial = super().get_initial()
        chosen = self.request.GET
        if self.request.method == "GET" and chosen.get("bank_code"):
            initial["bank_code"] = chosen["bank_code"][:8]
            initial["branch_code"] = chosen.get("branch_code", "")[:6]
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            account=self.account, **self._search_context(), **kwargs
        )

    def _search_context(self) -> dict:
        """Banks and branches found by name or kana, for the search forms
        that work without JavaScript (static/js/bank_lookup.js does the
        same as you type)."""
        if self.request.method != "GET":
            return {}
        params = self.request.GET
        bank_query = params.get("bank_q", "").strip()[:50]
        branch_query = params.get("branch_q", "").strip()[:50]
        chosen = bank_lookup(self.get_initial().get("bank_code", ""))

        def link(**codes) -> str:
            return f"{self.request.path}?{urlencode(codes)}"

        banks = [
            {"entry": bank, "url": link(bank_code=bank.code)}
            for bank in (bank_search(bank_query) if bank_query else [])
        ]
        branches = [
            {
                "entry": branch,
                "url": link(bank_code=chosen.code, branch_code=branch.code),
            }
            for branch in (
                branch_search(chosen.code, branch_query)
                if chosen and branch_query
                else []
            )
        ]
        return {
            "bank_query": bank_query,
            "bank_results": banks,
            "chosen_bank": chosen,
            "branch_query": branch_query,
            "branch_results": branches,
        }

    def form_valid(self, form):
        post = self.request.POST
        if "back" in post:
            return self.render_to_response(self.get_context_data(form=form))
        if post.get("confirmed") != "1":
            return TemplateResponse(
                self.request,
                self.confirm_template_name,
                self.get_context_data(form=form),
            )
        try:
            self.save(form)
        except BankAccountDuplicateError as error:
            if self.account is not None:
                form.add_error(None, error.messages)
                return self.form_invalid(form)
            # The same confirmation sent twice (double click, reload): the
            # first request saved it, so this one only says so.
            messages.info(self.request, error.messages[0])
            return redirect("supplier:bank_accounts")
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect("supplier:bank_accounts")


class BankAccountAddView(BankAccountFormView):
    success_message = gettext_lazy(
        "振込先口座を登録しました。取引先の管理者全員に、変更をお知らせするメールを送りました。"
    )

    def save(self, form):
        bank_account_create(
            supplier=self.request.supplier_access.supplier,
            actor=self.request.user,
            **form.account_data(),
        )


class BankAccountEditView(BankAccountFormView):
    success_message = gettext_lazy(
        "振込先口座を変更しました。取引先の管理者全員に、変更をお知らせするメールを送りました。"
    )

    def dispatch(self, request, *args, **kwargs):
        self.account = _account_for(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {**BankAccountForm.initial_for(self.account), **super().get_initial()}

    def save(self, form):
        bank_account_update(
            bank_account=self.account, actor=self.request.user, **form.account_data()
        )


class BankAccountDeleteView(SupplierOwnerRequiredMixin, TemplateView):
    """GET asks for confirmation; POST deletes."""

    template_name = "partners/bank_account_delete.html"

    def dispatch(self, request, *args, **kwargs):
        self.account = _account_for(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)

    def post(self, request, *args, **kwargs):
        bank_account_delete(bank_account=self.account, actor=request.user)
        messages.success(
            request,
            gettext(
                "振込先口座を削除しました。取引先の管理者全員に、変更をお知らせするメールを送りました。"
            ),
        )
        return redirect("supplier:bank_accounts")


class BankAccountDefaultView(SupplierOwnerRequiredMixin, View):
    """Makes one account the default payee account (POST only)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        account = bank_account_set_default(
            bank_account=_account_for(request, kwargs["pk"]), actor=request.user
        )
        messages.success(
            request,
            gettext(
                "「%(account)s」を既定の振込先にしました。取引先の管理者全員に、変更をお知らせするメールを送りました。"
            )
            % {"account": account},
        )
        return redirect("supplier:bank_accounts")


class BankLookupView(View):
    """Bank and branch names for codes, as JSON, for the form's
    as-you-type display (static/js/bank_lookup.js). With ``q``, the banks
    whose name or kana contains it; with ``bank`` and ``branch_q``, that
    bank's branches likewise."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        data = {"bank": None, "bank_error": "", "branch": None, "branch_error": ""}
        bank_code = request.GET.get("bank", "")
        branch_code = request.GET.get("branch", "")
        if "q" in request.GET:
            query = request.GET["q"].strip()[:50]
            data["banks"] = [asdict(b) for b in bank_search(query)] if query else []
        if "branch_q" in request.GET:
            query = request.GET["branch_q"].strip()[:50]
            data["branches"] = (
                [asdict(b) for b in branch_search(bank_code, query)] if query else []
            )
        if not bank_code:
            return JsonResponse(data)
        try:
            bank = bank_validate(bank_code)
        except ValidationError as error:
            data["bank_error"] = error.messages[0]
            return JsonResponse(data)
        data["bank"] = asdict(bank)
        if branch_code:
            try:
                data["branch"] = asdict(branch_validate(bank, branch_code))
            except ValidationError as error:
                data["branch_error"] = error.messages[0]
        return JsonResponse(data)
