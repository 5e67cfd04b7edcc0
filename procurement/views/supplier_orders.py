"""Supplier pages for orders: the list across municipalities, an order's
page, the 請書 (confirmation) and questions (照会). Every order is read
through the member's supplier: another supplier's answers 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from invoices.paging import KeysetListMixin, Part
from invoices.views.confirm import Confirmation
from procurement.forms import MessageForm
from procurement.models import OrderStatus
from procurement.selectors import (
    order_balance,
    order_get_for_supplier,
    order_invoices,
    order_list_for_supplier,
)
from procurement.services.invoicing import deliveries_billable
from procurement.services.orders import order_ask, order_confirm
from procurement.views.common import ConfirmedActionView, error_messages
from procurement.workflow import OrderTransitionError


def _order(request, pk):
    return order_get_for_supplier(supplier=request.supplier_access.supplier, pk=pk)


# By municipality (its code), then newest first. A supplier's orders are
# a few thousand at most: their ids are sorted, then one page read.
SUPPLIER_ORDER_LIST_ORDER = Part(
    keys=("municipality__local_government_code", "-order_date", "-pk")
)


class SupplierOrderListView(KeysetListMixin, ListView):
    """The supplier's orders, by municipality, newest first (keyset
    pages)."""

    template_name = "procurement/supplier_order_list.html"
    context_object_name = "orders"
    paginate_by = 50

    def get_queryset(self):
        return (
            order_list_for_supplier(supplier=self.request.supplier_access.supplier)
            .select_related(None)
            .select_related("municipality", "department")
            .defer("notes")
            .order_by()
        )

    def keyset_parts(self):
        return [SUPPLIER_ORDER_LIST_ORDER]


class SupplierOrderDetailView(TemplateView):
    template_name = "procurement/supplier_order_detail.html"

    def get_context_data(self, **kwargs):
        order = _order(self.request, self.kwargs["pk"])
        return super().get_context_data(
            order=order,
            lines=order.lines.all(),
            events=order.events.select_related("actor"),
            deliveries=order.deliveries.order_by("-delivered_on", "-pk"),
            balance=order_balance(order=order),
            invoices=order_invoices(order=order),
            billable=deliveries_billable(order=order).exists(),
            question_form=MessageForm()
            if order.status == OrderStatus.ORDERED
            else None,
            **kwargs,
        )


class SupplierOrderConfirmView(ConfirmedActionView):
    """請書: the supplier accepts the order, after the confirmation step."""

    confirmation = Confirmation(
        title=_("請書の提出"), button=_("請書を出す（受注する）")
    )
    template_name = "procurement/confirm_order_accept.html"

    def get_object(self):
        return _order(self.request, self.kwargs["pk"])

    def success_url(self, obj):
        return reverse("supplier:order", kwargs={"pk": obj.pk})

    def context(self, obj):
        return {"order": obj, "lines": obj.lines.all()}

    def perform(self, obj, data):
        order_confirm(
            order=obj,
            supplier=self.request.supplier_access.supplier,
            actor=self.request.user,
        )
        return gettext("請書を出しました。納品を登録できます。")


class SupplierOrderQuestionView(View):
    """照会: a question to the ordering department before confirming."""

    def post(self, request, pk):
        order = _order(request, pk)
        form = MessageForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("照会の内容を入力してください。"))
            return redirect("supplier:order", pk=order.pk)
        try:
            order_ask(
                order=order,
                supplier=request.supplier_access.supplier,
                actor=request.user,
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            for text in error_messages(error):
                messages.error(request, text)
        except OrderTransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, gettext("照会を送りました。部署からの回答を待っています。")
            )
        return redirect("supplier:order", pk=order.pk)
