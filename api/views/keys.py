"""API連携: the supplier owners' pages for API keys, and the guide."""

import json

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.generic import FormView, TemplateView

from api.forms import ApiKeyForm
from api.selectors import (
    api_call_list_recent,
    api_key_get_for_supplier,
    api_key_list_for_supplier,
)
from api.services.keys import api_key_create, api_key_revoke
from partners.views.mixins import SupplierOwnerRequiredMixin

# The guide's example request (user data, not UI text).
EXAMPLE_INVOICE = {
    "department": 12,
    "number": "INV-2026-0001",
    "issue_date": "2026-11-30",
    "transaction_date": "2026-11-30",
    "lines": [
        {
            "description": "コピー用紙 A4",
            "quantity": "10",
            "unit": "箱",
            "unit_price": "2500",
            "tax_category": "S",
        }
    ],
    "issue": True,
}

# The new key's text is shown on the next page only, then forgotten.
_NEW_KEY = "api_new_key"


class ApiKeyListView(SupplierOwnerRequiredMixin, FormView):
    """The supplier's keys, and the form for a new one. A new key's text
    is shown once, after the redirect, and is never stored."""

    template_name = "api/key_list.html"
    form_class = ApiKeyForm

    def get_context_data(self, **kwargs):
        supplier = self.request.supplier_access.supplier
        return super().get_context_data(
            keys=api_key_list_for_supplier(supplier=supplier),
            new_key=self.request.session.pop(_NEW_KEY, None),
            **kwargs,
        )

    def form_valid(self, form):
        key, text = api_key_create(
            supplier=self.request.supplier_access.supplier,
            actor=self.request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
        self.request.session[_NEW_KEY] = {"pk": key.pk, "name": key.name, "text": text}
        return redirect("supplier:api_keys")


class ApiKeyDetailView(SupplierOwnerRequiredMixin, TemplateView):
    """A key and its latest calls (API利用記録)."""

    template_name = "api/key_detail.html"

    def get_context_data(self, **kwargs):
        key = api_key_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=kwargs["pk"]
        )
        return super().get_context_data(
            key=key, calls=api_call_list_recent(api_key=key), **kwargs
        )


class ApiKeyRevokeView(SupplierOwnerRequiredMixin, TemplateView):
    """GET asks for confirmation; POST revokes the key at once."""

    template_name = "api/key_revoke.html"

    def dispatch(self, request, *args, **kwargs):
        self.key = api_key_get_for_supplier(
            supplier=request.supplier_access.supplier, pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(key=self.key, **kwargs)

    def post(self, request, *args, **kwargs):
        api_key_revoke(api_key=self.key, actor=request.user)
        messages.success(
            request,
            gettext("APIキー「%(name)s」を無効にしました。") % {"name": self.key.name},
        )
        return redirect("supplier:api_keys")


class ApiGuideView(TemplateView):
    """How to call the API, for the supplier's IT person (every member)."""

    template_name = "api/guide.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            base=self.request.build_absolute_uri(reverse("api:api-root")),
            rate=settings.API_RATE_LIMIT,
            example=json.dumps(EXAMPLE_INVOICE, ensure_ascii=False, indent=2),
            **kwargs,
        )
