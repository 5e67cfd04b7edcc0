"""Deliveries: the supplier records them (納品) and prints the 納品書;
department staff inspect them (検収) from the list of deliveries awaiting
inspection with their statutory deadlines. The supplier then drafts the
invoice of inspected deliveries (月締め)."""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from invoices.models import filename_part
from invoices.paging import KeysetListMixin, Part
from invoices.services.drafts import invoice_number_suggest
from invoices.views.confirm import Confirmation
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin
from procurement.csv_files import CsvError
from procurement.forms import BillForm, CsvUploadForm, DeliveryForm, InspectForm
from procurement.models import DeliveryStatus, OrderStatus
from procurement.pdf import delivery_note_pdf
from procurement.selectors import (
    delivery_get_for_access,
    delivery_get_for_supplier,
    delivery_list_for_access,
    inspection_counts,
    order_can_act,
    order_get_for_supplier,
)
from procurement.services.deliveries import delivery_inspect, delivery_record
from procurement.services.delivery_import import (
    CSV_HEADERS as DELIVERY_CSV_HEADERS,
    deliveries_import,
)
from procurement.services.invoicing import (
    deliveries_billable,
    invoice_draft_from_deliveries,
)
from procurement.views.common import ConfirmedActionView, error_messages

STAFF = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)


def _pdf_response(delivery) -> HttpResponse:
    response = HttpResponse(delivery_note_pdf(delivery), content_type="application/pdf")
    name = gettext("納品書_%(number)s.pdf") % {"number": filename_part(delivery.number)}
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DeliveryCreateView(TemplateView):
    """納品の登録 (supplier), against a confirmed order."""

    template_name = "procurement/supplier_delivery_form.html"

    def get_order(self):
        return order_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=self.kwargs["pk"]
        )

    def get(self, request, pk):
        order = self.get_order()
        if order.status != OrderStatus.CONFIRMED:
            messages.error(
                request,
                gettext("納品は、請書を出した（受注済の）発注にだけ登録できます。"),
            )
            return redirect("supplier:order", pk=order.pk)
        form = DeliveryForm(order=order, initial={"delivered_on": timezone.localdate()})
        return self.render_to_response({"order": order, "form": form})

    def post(self, request, pk):
        order = self.get_order()
        form = DeliveryForm(request.POST, order=order)
        if form.is_valid():
            try:
                delivery = delivery_record(
                    order=order,
                    supplier=request.supplier_access.supplier,
                    actor=request.user,
                    number=form.cleaned_data["number"],
                    delivered_on=form.cleaned_data["delivered_on"],
                    notes=form.cleaned_data["notes"],
                    lines=form.lines(),
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, texts in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, texts)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    gettext(
                        "納品 %(number)s を登録しました。部署の検収を待っています。"
                    )
                    % {"number": delivery.number},
                )
                return redirect("supplier:delivery", pk=delivery.pk)
        return self.render_to_response({"order": order, "form": form})


class SupplierDeliveryDetailView(TemplateView):
    template_name = "procurement/delivery_detail.html"

    def get_context_data(self, **kwargs):
        delivery = delivery_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            delivery=delivery,
            order=delivery.order,
            lines=delivery.lines.select_related("order_line"),
            side="supplier",
            **kwargs,
        )


class SupplierDeliveryPdfView(View):
    def get(self, request, pk):
        return _pdf_response(
            delivery_get_for_supplier(supplier=request.supplier_access.supplier, pk=pk)
        )


class OrderInvoiceView(TemplateView):
    """月締め: the supplier picks accepted deliveries of one order (all of
    one month with ``?month=2026-11``) and drafts the invoice."""

    template_name = "procurement/supplier_order_invoice.html"

    def get_order(self):
        return order_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=self.kwargs["pk"]
        )

    def render(self, order, chosen, form, errors=()):
        deliveries = list(deliveries_billable(order=order))
        months = sorted({d.delivered_on.strftime("%Y-%m") for d in deliveries})
        return self.render_to_response(
            {
                "order": order,
                "deliveries": deliveries,
                "months": months,
                "chosen": chosen,
                "form": form,
                "errors": errors,
            }
        )

    def get(self, request, pk):
        order = self.get_order()
        month = request.GET.get("month", "")
        chosen = {
            d.pk
            for d in deliveries_billable(order=order)
            if not month or d.delivered_on.strftime("%Y-%m") == month
        }
        form = BillForm(
            initial={
                "number": invoice_number_suggest(
                    supplier=request.supplier_access.supplier
                ),
                "issue_date": timezone.localdate(),
            }
        )
        return self.render(order, chosen, form)

    def post(self, request, pk):
        order = self.get_order()
        ids = [int(v) for v in request.POST.getlist("deliveries") if v.isdigit()]
        form = BillForm(request.POST)
        if not form.is_valid():
            return self.render(order, set(ids), form)
        try:
            invoice = invoice_draft_from_deliveries(
                order=order,
                supplier=request.supplier_access.supplier,
                actor=request.user,
                delivery_ids=ids,
                number=form.cleaned_data["number"],
                issue_date=form.cleaned_data["issue_date"],
            )
        except ValidationError as error:
            return self.render(order, set(ids), form, error_messages(error))
        messages.success(
            request,
            gettext(
                "納品から請求書の下書きを作成しました。内容を確認して発行してください。"
            ),
        )
        return redirect("supplier:invoice", pk=invoice.pk)


# Soonest deadline (overdue) first; the (municipality, status,
# inspection_deadline) index gives the order.
PENDING_ORDER = Part(keys=("inspection_deadline", "pk"))


class InspectionListView(CityRoleRequiredMixin, KeysetListMixin, ListView):
    """検収: deliveries awaiting inspection with their statutory deadline
    (overdue first, keyset pages of 50), the late inspections counted, and
    the latest inspected deliveries."""

    required_roles = STAFF
    template_name = "procurement/city_inspections.html"
    context_object_name = "pending"
    paginate_by = 50
    # Only the columns shown are read.
    shown = ("number", "delivered_on", "inspection_deadline", "supplier__legal_name")

    def get_queryset(self):
        return (
            delivery_list_for_access(access=self.request.city)
            .filter(status=DeliveryStatus.PENDING)
            .only(
                *self.shown,
                "order__number",
                "order__subject",
                "order__department__name",
            )
            .order_by()
        )

    def keyset_parts(self):
        return [PENDING_ORDER]

    def get_context_data(self, **kwargs):
        deliveries = delivery_list_for_access(access=self.request.city)
        return super().get_context_data(
            # Shown without their orders: no join on the way down the index.
            recent=deliveries.exclude(status=DeliveryStatus.PENDING)
            .select_related(None)
            .select_related("supplier")
            .only(*self.shown, "status", "inspected_on", "late_days")
            .order_by("-inspected_on", "-pk")[:50],
            counts=inspection_counts(deliveries=deliveries),
            today=timezone.localdate(),
            **kwargs,
        )


class CityDeliveryDetailView(CityRoleRequiredMixin, TemplateView):
    required_roles = STAFF
    template_name = "procurement/delivery_detail.html"

    def get_context_data(self, **kwargs):
        city = self.request.city
        delivery = delivery_get_for_access(access=city, pk=self.kwargs["pk"])
        return super().get_context_data(
            delivery=delivery,
            order=delivery.order,
            lines=delivery.lines.select_related("order_line"),
            side="city",
            can_inspect=delivery.status == DeliveryStatus.PENDING
            and order_can_act(access=city, order=delivery.order),
            today=timezone.localdate(),
            **kwargs,
        )


class CityDeliveryPdfView(CityRoleRequiredMixin, View):
    required_roles = STAFF

    def get(self, request, **kwargs):
        return _pdf_response(
            delivery_get_for_access(access=request.city, pk=kwargs["pk"])
        )


class DeliveryInspectView(CityRoleRequiredMixin, ConfirmedActionView):
    required_roles = (StaffRole.DEPARTMENT,)
    confirmation = Confirmation(title=_("検収の記録"), button=_("検収を記録する"))
    template_name = "procurement/confirm_inspect.html"

    def get_object(self):
        city = self.request.city
        delivery = delivery_get_for_access(access=city, pk=self.kwargs["pk"])
        if not order_can_act(access=city, order=delivery.order):
            raise Http404
        return delivery

    def build_form(self, obj, data=None):
        return InspectForm(
            data, delivery=obj, initial={"inspected_on": timezone.localdate()}
        )

    def success_url(self, obj):
        return reverse(
            "city:delivery",
            kwargs={"municipality_slug": obj.municipality.slug, "pk": obj.pk},
        )

    def context(self, obj):
        return {"delivery": obj, "order": obj.order, "city": self.request.city}

    def perform(self, obj, data):
        delivery = delivery_inspect(
            delivery=obj,
            actor=self.request.user,
            result=data["result"],
            inspected_on=data["inspected_on"],
            accepted_quantities=self.form.accepted_quantities(),
            reason=data["reason"],
        )
        if delivery.status == DeliveryStatus.REJECTED:
            return gettext("不合格として記録し、取引先に知らせました。")
        if delivery.late_days:
            return gettext(
                "検収を記録しました。検査期限を %(days)s 日過ぎています"
                "（遅延として記録）。"
            ) % {"days": delivery.late_days}
        return gettext("検収を記録しました。取引先は請求書を作成できます。")


class DeliveryImportView(FormView):
    """納品のCSV取り込み (supplier): deliveries from the sales system."""

    template_name = "procurement/supplier_delivery_import.html"
    form_class = CsvUploadForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(headers=DELIVERY_CSV_HEADERS, **kwargs)

    def form_valid(self, form):
        try:
            count = deliveries_import(
                supplier=self.request.supplier_access.supplier,
                actor=self.request.user,
                data=form.cleaned_data["file"].read(),
            )
        except CsvError as error:
            return self.render_to_response(
                self.get_context_data(form=form, problems=error.problems)
            )
        messages.success(
            self.request,
            gettext("納品を %(count)s 件登録しました。部署の検収を待っています。")
            % {"count": count},
        )
        return redirect("supplier:orders")
