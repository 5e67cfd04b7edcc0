"""CSV bulk upload (一括アップロード) for suppliers, and the export of
invoices in the same columns for suppliers and city staff.

An upload is stored, checked (at once when short, by a task when long),
shown as a preview and imported only when the user confirms; the services
are in ``invoices.imports``, the tasks in ``invoices.tasks``. Every upload is
read through the member's supplier, so another supplier's upload answers 404.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy as _, pgettext
from django.views import View
from django.views.generic import DetailView, TemplateView

from invoices import csv_import
from invoices.exports import upload_format
from invoices.filters import InboxFilterForm, inbox_filter_data
from invoices.forms import connection_choices
from invoices.forms.imports import IMPORT_MAX_MB, InvoiceImportForm
from invoices.imports import (
    IMPORT_INLINE_LINES,
    ImportAlreadyStartedError,
    invoice_import_confirm,
    invoice_import_create,
    invoice_import_progress,
)
from invoices.models import ImportStatus, InvoiceImport
from invoices.search import SupplierInvoiceSearchForm
from invoices.selectors import invoice_list_for_access, invoice_list_for_supplier
from invoices.views.exports import InvoiceExportView
from municipality.models import StaffRole
from municipality.selectors import department_list_for_access
from municipality.views import CityRoleRequiredMixin

RECENT_IMPORTS = 20
PREVIEW_PAGE_SIZE = 100
# Notices (a department code read with its leading zeros put back) shown
# on the preview; the rest are counted.
NOTICES_SHOWN = 50
IN_PROGRESS = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
# Where the template's examples go when the supplier has no addressee yet.
EXAMPLE_ADDRESSEE = ("462039", "010")

# The help page's explanation of each column, in the template's order
# (the names are the CSV's own headers, which are data).
COLUMN_HELP = (
    (
        "請求書番号",
        _("必須"),
        _(
            "同じ番号の行が1枚の請求書になります。1枚の請求書の行は続けて並べて"
            "ください。これまでに使った番号は使えません（40文字まで）。"
        ),
    ),
    (
        "宛先自治体コード",
        _("必須"),
        _("全国地方公共団体コード（検査数字を含む6桁。例: 鹿屋市 462039）。"),
    ),
    (
        "宛先部署コード",
        _("必須"),
        _(
            "自治体から知らされた部署コード。取引の登録（招待の承諾）がある部署"
            "だけを指定できます。"
        ),
    ),
    ("請求日", _("必須"), _("請求書の日付。")),
    (
        "取引日",
        _("取引日か取引期間のどちらか"),
        _("1日の取引（納品・役務の提供）の日付。"),
    ),
    (
        "取引開始日",
        _("取引日か取引期間のどちらか"),
        _("取引が期間（例: 11月分）の場合の初日。取引終了日と組で入力します。"),
    ),
    ("取引終了日", _("取引期間の場合は必須"), _("取引期間の最終日。")),
    ("支払期日", _("任意"), _("支払ってほしい日。")),
    ("件名", _("任意"), _("請求書の件名（200文字まで）。")),
    (
        "注文番号",
        _("任意"),
        _(
            "市の発注書・契約書の番号（支出負担行為番号・契約番号、40文字まで）。"
            "書くと、市の画面で発注・検収の内容と照合されます。"
        ),
    ),
    ("品名", _("必須"), _("明細の品名・内容（200文字まで）。")),
    (
        "数量",
        _("必須"),
        _(
            "0以外の数。返品はマイナス（-2、▲2）。小数は3桁まで。"
            "全角数字やカンマ付き（1,000）も使えます。"
        ),
    ),
    ("単位", _("任意"), _("個、箱、式など（20文字まで）。")),
    (
        "単価",
        _("必須"),
        _(
            "値引きはマイナス（-1000、▲1,000）。小数は3桁まで。"
            "全角数字、カンマ、¥・円が付いていても"
            "読み取ります。税抜か税込かは事業者情報の「単価の既定の表示」に"
            "従います。"
        ),
    ),
    (
        "税区分",
        _("必須"),
        # %(labels)s: csv_import.TAX_CATEGORY_LABELS, filled in by the view.
        _("%(labels)s のいずれか。軽減税率（飲食料品など）の明細は 8%% にします。"),
    ),
    ("備考", _("任意"), _("請求書の備考。")),
    (
        "明細備考",
        _("任意"),
        _(
            "明細ごとの備考（200文字まで）。同じ請求書の行でも行ごとに違う値を"
            "入れられます。品名の下に表示されます。"
        ),
    ),
)


def _upload(request, pk: int) -> InvoiceImport:
    return get_object_or_404(
        InvoiceImport.objects.filter(supplier=request.supplier_access.supplier),
        pk=pk,
    )


def _to_upload(upload: InvoiceImport):
    return redirect("supplier:invoice_import_detail", pk=upload.pk)


class InvoiceImportView(View):
    """The upload form, the template and help links, and the supplier's
    recent uploads with their state (so that the user can leave a long
    import and come back)."""

    template_name = "invoices/import_upload.html"

    def get(self, request):
        return self.render(InvoiceImportForm())

    def post(self, request):
        form = InvoiceImportForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = invoice_import_create(
                    supplier=request.supplier_access.supplier,
                    actor=request.user,
                    name=file.name,
                    data=file.read(),
                    issue=form.issue,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return _to_upload(upload)
        return self.render(form)

    def render(self, form: InvoiceImportForm) -> TemplateResponse:
        recent = InvoiceImport.objects.filter(
            supplier=self.request.supplier_access.supplier
        ).select_related("created_by")[:RECENT_IMPORTS]
        return TemplateResponse(
            self.request,
            self.template_name,
            {"form": form, "recent": recent, "inline_lines": IMPORT_INLINE_LINES},
        )


def _money(row: dict, *keys: str) -> dict:
    return {**row, **{key: Decimal(row[key]) for key in keys}}


def _preview_invoices(preview: dict) -> list[dict]:
    """The preview's invoices with their amounts as ``Decimal`` again."""
    return [
        {
            **_money(invoice, "subtotal", "tax_total", "total"),
            "buckets": [_money(b, "taxable", "tax") for b in invoice["buckets"]],
        }
        for invoice in preview.get("invoices", [])
    ]


class InvoiceImportDetailView(DetailView):
    """One upload: its progress while checked or imported (refreshing by
    itself), the preview with the confirm button once ready, every problem
    when invalid or failed, the created invoices when done."""

    template_name = "invoices/import_detail.html"
    context_object_name = "upload"

    def get_object(self, queryset=None):
        return _upload(self.request, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        upload = self.object
        context = {"in_progress": upload.status in IN_PROGRESS}
        if upload.status in (ImportStatus.READY, ImportStatus.INVALID):
            notices = upload.preview.get("notices", [])
            context["notices"] = notices[:NOTICES_SHOWN]
            context["notices_more"] = max(len(notices) - NOTICES_SHOWN, 0)
        if context["in_progress"]:
            context["done"], context["total"] = invoice_import_progress(upload)
        elif upload.status == ImportStatus.READY:
            context["amount_total"] = Decimal(upload.preview["total"])
            context["page_obj"] = self._page(_preview_invoices(upload.preview))
        elif upload.status == ImportStatus.INVALID:
            context["page_obj"] = self._page(upload.preview["errors"])
        elif upload.status == ImportStatus.FAILED:
            context["page_obj"] = self._page(upload.result["errors"])
        else:
            page = self._page(upload.result["invoice_ids"])
            context["page_obj"] = page
            context["invoices"] = (
                invoice_list_for_supplier(supplier=upload.supplier)
                .filter(pk__in=page.object_list)
                .order_by("pk")
            )
        return super().get_context_data(**context, **kwargs)

    def _page(self, items: list):
        return Paginator(items, PREVIEW_PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )


class InvoiceImportStatusView(View):
    """The upload's state as JSON, for the page's progress bar."""

    def get(self, request, pk):
        upload = _upload(request, pk)
        done, total = invoice_import_progress(upload)
        return JsonResponse(
            {
                "status": upload.status,
                "label": upload.get_status_display(),
                "in_progress": upload.status in IN_PROGRESS,
                "done": done,
                "total": total,
            }
        )


class InvoiceImportConfirmView(View):
    """取り込む. A second click finds the upload started and only says so
    (the service locks the row and checks the state)."""

    def post(self, request, pk):
        upload = _upload(request, pk)
        try:
            invoice_import_confirm(upload=upload)
        except ImportAlreadyStartedError:
            messages.info(
                request,
                gettext(
                    "このファイルはすでに取り込みを始めています。二重に取り込まれる"
                    "ことはありません。"
                ),
            )
        return _to_upload(upload)


class InvoiceImportTemplateView(View):
    """The template CSV, its examples addressed to one of the supplier's own
    departments so that it can be tried as it is."""

    def get(self, request):
        connection = (
            connection_choices(request.supplier_access.supplier)
            .select_related("municipality", "department")
            .first()
        )
        municipality_code, department_code = (
            (connection.municipality.local_government_code, connection.department.code)
            if connection
            else EXAMPLE_ADDRESSEE
        )
        response = HttpResponse(
            upload_format.upload_template_csv(
                municipality_code=municipality_code, department_code=department_code
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename="invoice_upload_template.csv"
        )
        return response


def _column_help() -> list[tuple[str, str, str]]:
    labels = pgettext("list separator", "、").join(csv_import.TAX_CATEGORY_LABELS)
    return [
        (name, required, description % {"labels": labels})
        for name, required, description in COLUMN_HELP
    ]


class InvoiceImportHelpView(TemplateView):
    """How to write the CSV, column by column, with the codes of the
    supplier's own addressees."""

    template_name = "invoices/import_help.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            columns=_column_help(),
            connections=connection_choices(self.request.supplier_access.supplier),
            encodings=csv_import.ENCODING_LABELS.values(),
            max_mb=IMPORT_MAX_MB,
            inline_lines=IMPORT_INLINE_LINES,
            **kwargs,
        )


# Export in the upload format -------------------------------------------------


class UploadFormatExportView(InvoiceExportView):
    """The invoices as a CSV in the upload format, to edit in Excel and
    upload again (``?format=`` a key of ``upload_format.UPLOAD_FORMATS``)."""

    formats = upload_format.UPLOAD_FORMATS


class SupplierUploadFormatExportView(UploadFormatExportView):
    """The supplier's invoices, with the search page's conditions (drafts
    only with ``include_drafts``)."""

    def filter_form(self):
        return SupplierInvoiceSearchForm(data=self.request.GET)

    def visible_invoices(self):
        return invoice_list_for_supplier(supplier=self.request.supplier_access.supplier)

    def back_url(self):
        return reverse("supplier:invoice_search")


class CityUploadFormatExportView(CityRoleRequiredMixin, UploadFormatExportView):
    """The staff member's inbox, with its filters."""

    required_roles = (StaffRole.DEPARTMENT, StaffRole.TREASURY, StaffRole.CITY_ADMIN)

    def filter_form(self):
        access = self.request.city
        return InboxFilterForm(
            inbox_filter_data(self.request.GET),
            departments=list(department_list_for_access(access=access)),
        )

    def visible_invoices(self):
        return invoice_list_for_access(access=self.request.city)

    def back_url(self):
        return reverse(
            "city:inbox",
            kwargs={"municipality_slug": self.request.city.municipality.slug},
        )
