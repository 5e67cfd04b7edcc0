"""Invoices in the Django admin: everything is read-only (issued invoices are
frozen and their history is append-only); failed PDFs can be retried."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy, ngettext
from django_scopes import scope

from invoices.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoicePdf,
    PdfStatus,
    ZipExport,
)
from invoices.services.pdf import invoice_pdf_request
from invoices.templatetags.invoice_tags import number, yen
from municipality.models import SettingsEvent


class ReadOnlyAdminMixin:
    """Rows written only through services (records, histories): the admin
    reads them, for support, and changes nothing. For model admins and
    inlines of every app."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A model admin that shows records and changes none."""


def _label(model, name: str):
    return model._meta.get_field(name).verbose_name


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = (
        "position",
        "description",
        "note",
        "quantity_display",
        "unit",
        "unit_price_display",
        "tax_category",
        "amount_display",
        "withholding",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    # Amounts as on the invoice: 1,234円, quantities and prices with
    # thousands separators.
    @admin.display(description=_label(InvoiceLine, "quantity"))
    def quantity_display(self, line):
        return number(line.quantity)

    @admin.display(description=_label(InvoiceLine, "unit_price"))
    def unit_price_display(self, line):
        return number(line.unit_price)

    @admin.display(description=_label(InvoiceLine, "amount"))
    def amount_display(self, line):
        return yen(line.amount)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "receipt_number",
        "supplier",
        "municipality",
        "department",
        "status",
        "total_display",
        "received_at",
    )
    list_filter = ("status", "municipality", "price_basis")
    list_select_related = ("supplier", "municipality", "department")
    search_fields = (
        "number",
        "receipt_number",
        "supplier__legal_name",
        "supplier__registration_number",
    )
    date_hierarchy = "created_at"
    inlines = (InvoiceLineInline,)

    @admin.display(description=_label(Invoice, "total"), ordering="total")
    def total_display(self, invoice):
        return yen(invoice.total)


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "invoice",
        "kind",
        "actor_label",
        "from_status",
        "to_status",
    )
    list_filter = ("kind", "municipality")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number", "actor_label", "hash")


@admin.register(SettingsEvent)
class SettingsEventAdmin(ReadOnlyAdmin):
    """設定・権限の変更履歴 of every municipality and supplier: where platform
    admins see supplier-role changes (city admins see their city's on the
    city console, supplier owners theirs on the members page)."""

    list_display = (
        "created_at",
        "kind",
        "action",
        "municipality",
        "supplier",
        "target_label",
        "actor_label",
        "change_summary",
    )
    list_filter = ("kind", "action", "municipality")
    list_select_related = ("municipality", "supplier")
    search_fields = ("target_label", "actor_label", "supplier__legal_name", "hash")
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("変更内容"))
    def change_summary(self, obj):
        return format_html_join(
            "",
            "<div>{}: {} → {}</div>",
            ((c["label"], c["before"] or "—", c["after"] or "—") for c in obj.changes),
        )


@admin.register(InvoicePdf)
class InvoicePdfAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "status", "attempts", "rendered_at", "error")
    list_filter = ("status", "municipality")
    list_select_related = ("invoice",)
    search_fields = ("invoice__number", "sha256")
    actions = ("retry",)

    @admin.action(description=gettext_lazy("選んだPDFを作り直す（失敗したもの）"))
    def retry(self, request, queryset):
        failed = queryset.filter(status=PdfStatus.FAILED).select_related("invoice")
        for pdf in failed:
            with scope(municipality=pdf.municipality_id):
                invoice_pdf_request(invoice=pdf.invoice)
        messages.success(
            request,
            ngettext(
                "%(count)s件のPDFの作成を依頼しました。",
                "%(count)s件のPDFの作成を依頼しました。",
                len(failed),
            )
            % {"count": len(failed)},
        )


@admin.register(ZipExport)
class ZipExportAdmin(ReadOnlyAdmin):
    """ZIP exports, to see what was asked for and how the jobs went; the
    files are the requesters' to download, and expire by themselves
    (``INVOICE_ZIP_KEEP_DAYS``)."""

    list_display = (
        "pk",
        "status",
        "municipality",
        "supplier",
        "created_by",
        "progress_done",
        "progress_total",
        "size",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "municipality")
    list_select_related = ("municipality", "supplier", "created_by")
    exclude = ("file",)
