"""City pages for orders (支出負担行為): the list, entry on screen and by
CSV, the order's page, and sending, answering, cancelling and completing
it. Department staff act on their departments' orders; treasury and city
administrators read every order (city administrators may also import)."""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from invoices.paging import KeysetListMixin, Part
from invoices.views.confirm import Confirmation
from municipality.fiscal import fiscal_year_of
from municipality.models import BudgetCode, StaffRole
from municipality.views import CityRoleRequiredMixin
from partners.models import Connection
from procurement.csv_files import CsvError
from procurement.forms import (
    CsvUploadForm,
    MessageForm,
    OrderForm,
    OrderLineFormSet,
    ReasonForm,
)
from procurement.models import OrderStatus
from procurement.selectors import (
    order_balance,
    order_can_act,
    order_get_for_access,
    order_invoices,
    order_list_for_access,
)
from procurement.services.order_import import CSV_HEADERS, orders_import
from procurement.services.orders import (
    OrderLineInput,
    order_answer,
    order_cancel,
    order_complete,
    order_save,
    order_send,
)
from procurement.views.common import ConfirmedActionView, error_messages
from procurement.workflow import OrderTransitionError

STAFF = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)


def _order_url(order) -> str:
    return reverse(
        "city:order",
        kwargs={"municipality_slug": order.municipality.slug, "pk": order.pk},
    )


# Newest first; (municipality or department, order_date, id) indexes serve
# every page, with or without the status filter.
CITY_ORDER_LIST_ORDER = Part(keys=("-order_date", "-pk"))


class OrderListView(CityRoleRequiredMixin, KeysetListMixin, ListView):
    """The orders, newest first (keyset pages: a city's tens of thousands
    are read from where the previous page ended, never counted in full)."""

    required_roles = STAFF
    template_name = "procurement/city_order_list.html"
    context_object_name = "orders"
    paginate_by = 50

    def get_queryset(self):
        # The list shows neither the budget code nor the notes.
        orders = (
            order_list_for_access(access=self.request.city)
            .select_related(None)
            .select_related("department", "supplier")
            .defer("notes")
            .order_by()
        )
        status = self.request.GET.get("status", "")
        if status in OrderStatus.values:
            orders = orders.filter(status=status)
        return orders

    def keyset_parts(self):
        return [CITY_ORDER_LIST_ORDER]

    def get_context_data(self, **kwargs):
        city = self.request.city
        return super().get_context_data(
            statuses=OrderStatus.choices,
            can_order=city.has_role(StaffRole.DEPARTMENT),
            can_import=city.has_role(StaffRole.DEPARTMENT, StaffRole.CITY_ADMIN),
            **kwargs,
        )


class OrderFormView(CityRoleRequiredMixin, TemplateView):
    """New order or a draft's edit: the header and its lines; nothing is
    saved unless all are valid. 「行を追加」 comes back with one more row."""

    required_roles = (StaffRole.DEPARTMENT,)
    template_name = "procurement/city_order_form.html"

    @cached_property
    def order(self):
        if "pk" not in self.kwargs:
            return None
        order = order_get_for_access(access=self.request.city, pk=self.kwargs["pk"])
        if not order_can_act(access=self.request.city, order=order):
            raise Http404
        return order

    def forms(self, data=None):
        city = self.request.city
        connections = Connection.objects.filter(
            municipality=city.municipality,
            department_id__in=city.department_ids,
            is_active=True,
        ).select_related("supplier", "department")
        budget_codes = BudgetCode.objects.filter(
            municipality=city.municipality, is_active=True
        ).order_by("-fiscal_year", "account", "kan", "kou", "moku", "setsu", "saisetsu")
        initial = {
            "order_date": timezone.localdate(),
            "fiscal_year": fiscal_year_of(timezone.localdate()),
        }
        lines_initial = []
        if self.order is not None:
            initial = {
                name: getattr(self.order, name) for name in OrderForm.Meta.fields
            }
            lines_initial = list(
                self.order.lines.values(
                    "description", "quantity", "unit", "unit_price", "tax_category"
                )
            )
        form = OrderForm(
            data, initial=initial, connections=connections, budget_codes=budget_codes
        )
        # Three empty rows for more lines; a saved draft offers three more.
        formset = OrderLineFormSet(
            data, initial=[*lines_initial, *[{}] * 3], prefix="lines"
        )
        return form, formset

    def render(self, form, formset):
        return self.render_to_response(
            self.get_context_data(form=form, formset=formset, order=self.order)
        )

    def get(self, request, **kwargs):
        if self.order is not None and self.order.status != OrderStatus.DRAFT:
            messages.error(request, gettext("発注済みの発注は変更できません。"))
            return redirect(_order_url(self.order))
        return self.render(*self.forms())

    def post(self, request, **kwargs):
        form, formset = self.forms(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.render(form, formset)
        lines = [
            OrderLineInput(
                description=f.cleaned_data["description"],
                quantity=f.cleaned_data["quantity"],
                unit=f.cleaned_data["unit"],
                unit_price=f.cleaned_data["unit_price"],
                tax_category=f.cleaned_data["tax_category"],
            )
            for f in formset.forms
            if not f.is_blank
        ]
        connection = form.cleaned_data["connection"]
        try:
            order = order_save(
                department=connection.department,
                actor=request.user,
                connection=connection,
                fields=form.cleaned_data,
                lines=lines,
                order=self.order,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, texts in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
            else:
                form.add_error(None, error.messages)
            return self.render(form, formset)
        messages.success(
            request,
            gettext("発注 %(number)s を保存しました。内容を確認して発注してください。")
            % {"number": order.number},
        )
        return redirect(_order_url(order))


class OrderDetailView(CityRoleRequiredMixin, TemplateView):
    required_roles = STAFF
    template_name = "procurement/city_order_detail.html"

    def get_context_data(self, **kwargs):
        order = order_get_for_access(access=self.request.city, pk=self.kwargs["pk"])
        can_act = order_can_act(access=self.request.city, order=order)
        return super().get_context_data(
            order=order,
            lines=order.lines.all(),
            events=order.events.select_related("actor"),
            deliveries=order.deliveries.order_by("-delivered_on", "-pk"),
            balance=order_balance(order=order),
            invoices=order_invoices(order=order),
            can_act=can_act,
            answer_form=MessageForm()
            if can_act and order.status == OrderStatus.QUESTION
            else None,
            **kwargs,
        )


class CityOrderActionMixin(CityRoleRequiredMixin):
    required_roles = (StaffRole.DEPARTMENT,)

    def get_object(self):
        order = order_get_for_access(access=self.request.city, pk=self.kwargs["pk"])
        if not order_can_act(access=self.request.city, order=order):
            raise Http404
        return order

    def success_url(self, obj) -> str:
        return _order_url(obj)

    def context(self, obj) -> dict:
        return {"order": obj, "city": self.request.city}


class OrderSendView(CityOrderActionMixin, ConfirmedActionView):
    confirmation = Confirmation(title=_("発注の確認"), button=_("発注する"))
    template_name = "procurement/confirm_order_send.html"

    def perform(self, obj, data):
        order_send(order=obj, actor=self.request.user)
        return gettext("発注しました。取引先の請書を待っています。")


class OrderCancelView(CityOrderActionMixin, ConfirmedActionView):
    confirmation = Confirmation(
        title=_("発注の取消"), button=_("取り消す"), danger=True
    )
    template_name = "procurement/confirm_order_cancel.html"
    form_class = ReasonForm

    def perform(self, obj, data):
        order_cancel(order=obj, actor=self.request.user, reason=data["reason"])
        return gettext("発注を取り消しました。")


class OrderCompleteView(CityOrderActionMixin, ConfirmedActionView):
    confirmation = Confirmation(title=_("発注の完了"), button=_("完了にする"))
    template_name = "procurement/confirm_order_complete.html"

    def perform(self, obj, data):
        order_complete(order=obj, actor=self.request.user)
        return gettext("発注を完了にしました。これ以上の納品は登録できません。")


class OrderAnswerView(CityOrderActionMixin, View):
    """回答 to the supplier's question (not irreversible: no confirmation)."""

    def post(self, request, **kwargs):
        order = self.get_object()
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                order_answer(
                    order=order,
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
                    request, gettext("回答を送りました。取引先の請書を待っています。")
                )
        else:
            messages.error(request, gettext("回答の内容を入力してください。"))
        return redirect(_order_url(order))


class OrderImportView(CityRoleRequiredMixin, FormView):
    required_roles = (StaffRole.DEPARTMENT, StaffRole.CITY_ADMIN)
    template_name = "procurement/city_order_import.html"
    form_class = CsvUploadForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(headers=CSV_HEADERS, **kwargs)

    def form_valid(self, form):
        city = self.request.city
        try:
            count = orders_import(
                municipality=city.municipality,
                actor=self.request.user,
                data=form.cleaned_data["file"].read(),
                department_ids=None
                if city.has_role(StaffRole.CITY_ADMIN)
                else city.department_ids,
            )
        except CsvError as error:
            return self.render_to_response(
                self.get_context_data(form=form, problems=error.problems)
            )
        messages.success(
            self.request,
            gettext("発注を %(count)s 件取り込み、取引先に送りました。")
            % {"count": count},
        )
        return redirect("city:orders", municipality_slug=city.municipality.slug)
