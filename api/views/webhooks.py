"""Webhooks (API連携): the supplier owners' pages to register endpoints,
see every delivery with its answer, send one again, or send a test."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from api.models import WebhookEvent
from api.selectors import (
    webhook_endpoint_get_for_supplier,
    webhook_endpoint_list_for_supplier,
)
from api.services.webhooks import (
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_ping,
)
from api.tasks import webhook_deliver_task
from partners.views.mixins import SupplierOwnerRequiredMixin


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("送信先URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("自社システムの受信用のURL（https://…）。"),
        error_messages={
            "required": _("送信先のURLを入力してください。"),
            "invalid": _("URLの形が正しくありません。https:// から入力してください。"),
        },
    )
    events = forms.MultipleChoiceField(
        label=_("通知する出来事"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(WebhookEvent.values),
        error_messages={"required": _("通知する出来事を1つ以上選んでください。")},
    )


def _endpoint(request, pk):
    return webhook_endpoint_get_for_supplier(
        supplier=request.supplier_access.supplier, pk=pk
    )


def _send_soon(delivery_id: int) -> None:
    transaction.on_commit(lambda: webhook_deliver_task.delay(delivery_id=delivery_id))


class WebhookListView(SupplierOwnerRequiredMixin, FormView):
    template_name = "api/webhook_list.html"
    form_class = WebhookForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            endpoints=webhook_endpoint_list_for_supplier(
                supplier=self.request.supplier_access.supplier
            ),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            endpoint = webhook_endpoint_create(
                supplier=self.request.supplier_access.supplier,
                actor=self.request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except ValidationError as error:
            form.add_error("url", error.message_dict["url"])
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext(
                "Webhookを登録しました。署名の鍵で、届いた通知が本物か確かめてください。"
            ),
        )
        return redirect("supplier:webhook", pk=endpoint.pk)


class WebhookDetailView(SupplierOwnerRequiredMixin, TemplateView):
    """The endpoint, its signing secret, and its latest deliveries."""

    template_name = "api/webhook_detail.html"

    def get_context_data(self, **kwargs):
        endpoint = _endpoint(self.request, kwargs["pk"])
        return super().get_context_data(
            endpoint=endpoint,
            deliveries=endpoint.deliveries.order_by("-pk")[:50],
            **kwargs,
        )


class WebhookDeleteView(SupplierOwnerRequiredMixin, TemplateView):
    """GET asks for confirmation; POST deletes the endpoint."""

    template_name = "api/webhook_delete.html"

    def dispatch(self, request, *args, **kwargs):
        self.endpoint = _endpoint(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(endpoint=self.endpoint, **kwargs)

    def post(self, request, *args, **kwargs):
        webhook_endpoint_delete(endpoint=self.endpoint, actor=request.user)
        messages.success(request, gettext("Webhookを削除しました。"))
        return redirect("supplier:webhooks")


class WebhookPingView(SupplierOwnerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        endpoint = _endpoint(request, pk)
        delivery = webhook_ping(endpoint=endpoint, actor=request.user)
        _send_soon(delivery.pk)
        messages.success(
            request,
            gettext("テストの通知を送りました。結果は下の一覧に表示されます。"),
        )
        return redirect("supplier:webhook", pk=endpoint.pk)


class WebhookReplayView(SupplierOwnerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk, delivery_pk):
        endpoint = _endpoint(request, pk)
        delivery = get_object_or_404(endpoint.deliveries, pk=delivery_pk)
        replay = webhook_delivery_replay(delivery=delivery, actor=request.user)
        _send_soon(replay.pk)
        messages.success(request, gettext("同じ内容の通知をもう一度送りました。"))
        return redirect("supplier:webhook", pk=endpoint.pk)
