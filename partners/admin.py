from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from accounts.spreadsheets import FormulaSafeCSV
from partners.models import (
    BankAccount,
    BankAccountChange,
    Connection,
    Supplier,
    SupplierMembership,
)
from partners.resources import ConnectionResource
from partners.services.suppliers import (
    supplier_membership_delete,
    supplier_membership_save,
)


class SupplierMembershipFormSet(BaseInlineFormSet):
    """Saves and deletes each role through the services, so that every role
    granted, changed or removed on a supplier's or user's page is audited.
    ``actor`` is set per request by ``SupplierMembershipInline``."""

    actor = None

    def save_new(self, form, commit=True):
        membership = super().save_new(form, commit=False)
        return supplier_membership_save(membership=membership, actor=self.actor)

    def save_existing(self, form, obj, commit=True):
        return supplier_membership_save(membership=form.instance, actor=self.actor)

    def delete_existing(self, obj, commit=True):
        if commit:
            supplier_membership_delete(membership=obj, actor=self.actor)


class SupplierMembershipInline(admin.TabularInline):
    model = SupplierMembership
    formset = SupplierMembershipFormSet
    extra = 0
    autocomplete_fields = ("supplier", "user")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": request.user})


class ConnectionForm(forms.ModelForm):
    """The municipality follows from the department; nobody picks it.

    No ``Meta``: the admin builds the concrete form per request, inside the
    admin's disabled scope, so no scoped query runs at import time.
    """

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("department"):
            self.instance.municipality = cleaned["department"].municipality
        return cleaned


class ConnectionInline(admin.TabularInline):
    model = Connection
    form = ConnectionForm
    extra = 0
    fields = ("department", "payee_code", "is_active")
    autocomplete_fields = ("department",)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = (
        "legal_name",
        "name_kana",
        "registration_number",
        "legal_form",
        "tax_rounding",
        "created_at",
    )
    list_filter = ("legal_form", "tax_rounding")
    search_fields = (
        "legal_name",
        "name_kana",
        "registration_number",
        "corporate_number",
        "contact_email",
    )
    readonly_fields = ("created_at", "updated_at")
    inlines = (SupplierMembershipInline, ConnectionInline)


@admin.register(SupplierMembership)
class SupplierMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "supplier", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "supplier")
    search_fields = ("user__email", "user__name", "supplier__legal_name")
    autocomplete_fields = ("user", "supplier")

    # Every write goes through the services, which record it.

    def save_model(self, request, obj, form, change):
        supplier_membership_save(membership=obj, actor=request.user)

    def delete_model(self, request, obj):
        supplier_membership_delete(membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            supplier_membership_delete(membership=membership, actor=request.user)


@admin.register(Connection)
class ConnectionAdmin(ImportExportModelAdmin):
    """支払先マスタ, also imported and exported as CSV (UTF-8 with BOM) by
    registration number, municipality code and department code."""

    form = ConnectionForm
    resource_classes = [ConnectionResource]
    import_formats = [CSV]
    export_formats = [FormulaSafeCSV]  # never a formula in a cell
    to_encoding = "utf-8-sig"
    list_display = (
        "supplier",
        "department",
        "municipality",
        "payee_code",
        "is_active",
        "created_at",
    )
    list_filter = ("municipality", "is_active")
    list_select_related = ("supplier", "department", "municipality")
    search_fields = (
        "supplier__legal_name",
        "supplier__name_kana",
        "supplier__registration_number",
        "department__name",
        "payee_code",
    )
    fields = (
        "supplier",
        "department",
        "municipality",
        "payee_code",
        "is_active",
        "created_at",
        "updated_at",
    )
    autocomplete_fields = ("supplier", "department")
    readonly_fields = ("municipality", "created_at", "updated_at")


class BankAccountReadOnlyAdmin(admin.ModelAdmin):
    """Bank accounts change only through the services, which record the
    change and mail the supplier's owners; the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BankAccount)
class BankAccountAdmin(BankAccountReadOnlyAdmin):
    list_display = (
        "supplier",
        "bank_name",
        "branch_name",
        "account_type",
        "account_number",
        "holder_kana",
        "is_default",
        "updated_at",
    )
    list_filter = ("is_default", "account_type")
    list_select_related = ("supplier",)
    search_fields = (
        "supplier__legal_name",
        "supplier__name_kana",
        "bank_code",
        "bank_name",
        "holder_kana",
    )


@admin.register(BankAccountChange)
class BankAccountChangeAdmin(BankAccountReadOnlyAdmin):
    list_display = ("created_at", "supplier", "action", "bank_account", "actor")
    list_filter = ("action",)
    list_select_related = ("supplier", "bank_account", "actor")
    search_fields = ("supplier__legal_name", "supplier__name_kana", "actor__email")
    date_hierarchy = "created_at"
