"""Admin for the treasury: settings are edited with the same checks as the
city administrators' form and saved through the same service (so every
change is audited); batches are read-only (their changes go through the
services, so that every step is in the invoices' history).

The treasury is not an app of its own, so Django's admin autodiscovery does
not import this module: ``config.apps.PortalAdminConfig`` does."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from invoices.admin import ReadOnlyAdmin, ReadOnlyAdminMixin
from invoices.templatetags.invoice_tags import yen
from municipality.models import (
    IncomingCredit,
    InvoicePaymentConfirmation,
    PayeeChoice,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    Reconciliation,
    TreasurySettings,
)
from municipality.treasury.forms import TreasurySettingsForm
from municipality.treasury.services.settings import (
    TREASURY_AUDITED_FIELDS,
    treasury_settings_delete,
    treasury_settings_save,
)


class TreasurySettingsAdmin(admin.ModelAdmin):
    form = TreasurySettingsForm
    list_display = (
        "municipality",
        "originator_code",
        "bank_code",
        "branch_code",
        "fee_bearer",
        "four_eyes",
        "updated_at",
    )
    list_select_related = ("municipality",)
    fieldsets = (
        (
            _("委託者と支払口座"),
            {
                "fields": (
                    "municipality",
                    "originator_code",
                    "originator_name_kana",
                    "bank_code",
                    "branch_code",
                    "account_type",
                    "account_number",
                )
            },
        ),
        (
            _("振込手数料"),
            {
                "fields": (
                    "fee_bearer",
                    ("fee_same_branch_small", "fee_same_branch_large"),
                    ("fee_same_bank_small", "fee_same_bank_large"),
                    ("fee_other_bank_small", "fee_other_bank_large"),
                )
            },
        ),
        (_("ファイルと承認"), {"fields": ("line_ending", "csv_encoding", "four_eyes")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # A municipality's settings stay its own.
        return ("municipality",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        saved = treasury_settings_save(
            municipality=obj.municipality,
            values={name: getattr(obj, name) for name in TREASURY_AUDITED_FIELDS},
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        treasury_settings_delete(settings=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for settings in queryset:
            treasury_settings_delete(settings=settings, actor=request.user)


class PaymentBatchItemInline(admin.TabularInline):
    model = PaymentBatchItem
    fields = ("invoice", "active", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _yen_column(name: str):
    """A read-only column showing the notice's ``name`` as ``1,234円``."""

    @admin.display(description=PaymentNotice._meta.get_field(name).verbose_name)
    def column(self, notice):
        return yen(getattr(notice, name))

    column.__name__ = f"{name}_yen"
    return column


class PaymentNoticeInline(admin.TabularInline):
    model = PaymentNotice
    fields = (
        "number",
        "supplier",
        "amount_yen",
        "withholding_tax_yen",
        "fee_yen",
        "transfer_amount_yen",
        "sent_at",
    )
    readonly_fields = fields
    amount_yen = _yen_column("amount")
    withholding_tax_yen = _yen_column("withholding_tax")
    fee_yen = _yen_column("fee")
    transfer_amount_yen = _yen_column("transfer_amount")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentBatchAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "municipality",
        "payment_date",
        "status",
        "four_eyes",
        "created_by",
    )
    list_filter = ("municipality", "status")
    list_select_related = ("municipality", "created_by")
    search_fields = ("number",)
    inlines = (PaymentBatchItemInline, PaymentNoticeInline)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PayeeChoiceAdmin(admin.ModelAdmin):
    """振込先の指定: read-only; choices are made on the treasury's page
    (``payee_choose``), which records the event and mails the owners."""

    list_display = (
        "created_at",
        "municipality",
        "invoice",
        "recently_changed",
        "chosen_by",
    )
    list_filter = ("municipality", "recently_changed")
    list_select_related = ("municipality", "invoice", "chosen_by")
    search_fields = ("invoice__number", "invoice__receipt_number")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IncomingCreditInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = IncomingCredit
    fields = (
        "row",
        "booking_date",
        "amount",
        "payer_name",
        "edi",
        "outcome",
        "method",
        "difference",
    )
    extra = 0


class ReconciliationAdmin(ReadOnlyAdmin):
    """売掛金消込: a supplier's uploaded bank statement and what each credit
    was matched to (``/supplier/reconciliations/``)."""

    list_display = ("created_at", "supplier", "source", "filename", "created_by")
    list_filter = ("source",)
    list_select_related = ("supplier", "created_by")
    search_fields = ("supplier__legal_name", "filename", "sha256")
    inlines = (IncomingCreditInline,)


class InvoicePaymentConfirmationAdmin(ReadOnlyAdmin):
    """入金確認済: which credit of which statement paid an invoice, as the
    supplier confirmed it."""

    list_display = ("confirmed_at", "supplier", "invoice", "credit", "confirmed_by")
    list_select_related = ("supplier", "invoice", "credit", "confirmed_by")
    search_fields = (
        "invoice__number",
        "invoice__receipt_number",
        "supplier__legal_name",
    )


admin.site.register(TreasurySettings, TreasurySettingsAdmin)
admin.site.register(PaymentBatch, PaymentBatchAdmin)
admin.site.register(PayeeChoice, PayeeChoiceAdmin)
admin.site.register(Reconciliation, ReconciliationAdmin)
admin.site.register(InvoicePaymentConfirmation, InvoicePaymentConfirmationAdmin)
