"""Suppliers' payment notices (支払通知): what each municipality paid, in
which transfer, for which invoices. Read through the member's supplier, so
another supplier's notice answers 404 like one that does not exist."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_noop
from django.views import View
from django.views.generic import DetailView, ListView

from invoices.models import EventKind
from invoices.services.records import invoices_record_export
from municipality.paging import NumberedPageMixin
from municipality.treasury.selectors.notices import (
    payment_notice_get_for_supplier,
    payment_notice_invoices,
    payment_notice_list_for_supplier,
    remittance_notices_for_supplier,
)
from municipality.treasury.views.downloads import (
    remittance_format,
    remittance_period,
    remittance_period_form,
    remittance_response,
)

NO_NOTICES_IN_PERIOD = gettext_noop(
    "この期間に支払日のある支払通知はありません。期間を確認してください。"
)


class PaymentNoticeListView(NumberedPageMixin, ListView):
    template_name = "municipality/supplier_payment_notice_list.html"
    context_object_name = "notices"
    paginate_by = 50

    def get_queryset(self):
        return payment_notice_list_for_supplier(
            supplier=self.request.supplier_access.supplier
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(period_form=remittance_period_form(), **kwargs)


class PaymentNoticeMixin:
    def get_object(self, queryset=None):
        return payment_notice_get_for_supplier(
            supplier=self.request.supplier_access.supplier, pk=self.kwargs["pk"]
        )


class PaymentNoticeDetailView(DetailView):
    """A notice with its totals and its invoices a page at a time (a
    supplier paid for hundreds of invoices at once gets them in pages)."""

    template_name = "municipality/supplier_payment_notice_detail.html"
    context_object_name = "notice"
    paginate_by = 50

    def get_object(self, queryset=None):
        return payment_notice_get_for_supplier(
            supplier=self.request.supplier_access.supplier,
            pk=self.kwargs["pk"],
            with_invoices=False,
        )

    def get_context_data(self, **kwargs):
        page = Paginator(
            payment_notice_invoices(notice=self.object), self.paginate_by
        ).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            invoices=page.object_list, page_obj=page, **kwargs
        )


class PaymentNoticePdfView(PaymentNoticeMixin, View):
    """The notice's PDF, once rendered; each download is in the history of
    the invoices it lists."""

    def get(self, request, *args, **kwargs):
        notice = self.get_object()
        if not notice.pdf:
            messages.info(
                request,
                gettext(
                    "支払通知のPDFを作成しています。"
                    "しばらくしてから、もう一度開いてください。"
                ),
            )
            return redirect("supplier:payment_notice", pk=notice.pk)
        invoices_record_export(
            invoices=notice.invoices.all(),
            actor=request.user,
            kind=EventKind.DOWNLOADED,
            data={"format": "payment_notice", "notice": notice.number},
        )
        response = FileResponse(
            notice.pdf.open("rb"),
            as_attachment=True,
            filename=gettext("支払通知_%(number)s.pdf") % {"number": notice.number},
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class PaymentNoticeExportView(PaymentNoticeMixin, View):
    """One notice's remittance data (取引明細データ) as CSV or JSON."""

    def get(self, request, *args, **kwargs):
        notice = self.get_object()
        fmt = remittance_format(request)
        if fmt is None:
            return redirect("supplier:payment_notice", pk=notice.pk)
        return remittance_response(
            request,
            notices=[notice],
            fmt=fmt,
            basename=f"remittance_{notice.number}",
        )


class PaymentNoticePeriodExportView(View):
    """Every notice paid in a period, in one file."""

    def get(self, request, *args, **kwargs):
        period = remittance_period(request)
        if period is None:
            return redirect("supplier:payment_notices")
        notices = remittance_notices_for_supplier(
            supplier=request.supplier_access.supplier,
            date_from=period["date_from"],
            date_to=period["date_to"],
        )
        if not notices.exists():
            messages.info(request, gettext(NO_NOTICES_IN_PERIOD))
            return redirect("supplier:payment_notices")
        return remittance_response(
            request,
            notices=notices,
            fmt=period["format"],
            basename=(
                f"remittance_{period['date_from']:%Y%m%d}-{period['date_to']:%Y%m%d}"
            ),
        )
