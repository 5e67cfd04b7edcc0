from django import forms
from django.contrib import admin
from django.db.models import Count
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from accounts.spreadsheets import FormulaSafeCSV
from municipality.admin_treasury import PaymentBatchAdmin, TreasurySettingsAdmin
from municipality.models import (
    Department,
    Municipality,
    PaymentBatch,
    StaffMembership,
    StaffRole,
    TreasurySettings,
)
from municipality.resources import DepartmentResource


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "local_government_code",
        "slug",
        "department_count",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "name_kana", "local_government_code", "corporate_number")
    prepopulated_fields = {"slug": ("name_kana",)}
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_departments=Count("departments"))

    @admin.display(description="部署数", ordering="_departments")
    def department_count(self, obj):
        return obj._departments


@admin.register(Department)
class DepartmentAdmin(ImportExportModelAdmin):
    """Departments, also imported and exported as CSV (UTF-8 with BOM, so
    Excel opens it) by municipality code and department code."""

    resource_classes = [DepartmentResource]
    import_formats = [CSV]
    export_formats = [FormulaSafeCSV]  # never a formula in a cell
    to_encoding = "utf-8-sig"
    list_display = ("code", "name", "parent", "municipality", "is_active")
    list_display_links = ("code", "name")
    list_filter = ("municipality", "is_active")
    list_select_related = ("municipality", "parent")
    search_fields = ("code", "name", "municipality__name")
    autocomplete_fields = ("parent",)
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 100


class StaffMembershipForm(forms.ModelForm):
    """Checks the departments against the municipality and the role.

    No ``Meta``: the admin builds the concrete form per request, inside the
    admin's disabled scope, so no scoped query runs at import time.
    """

    def clean(self):
        cleaned = super().clean()
        municipality = cleaned.get("municipality")
        departments = cleaned.get("departments") or []
        if municipality and any(
            d.municipality_id != municipality.pk for d in departments
        ):
            self.add_error(
                "departments", "担当部署には同じ自治体の部署を選んでください。"
            )
        if cleaned.get("role") == StaffRole.DEPARTMENT and not departments:
            self.add_error(
                "departments", "部署担当者には担当部署を1つ以上選んでください。"
            )
        return cleaned


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    form = StaffMembershipForm
    extra = 0
    fields = ("municipality", "role", "departments")
    autocomplete_fields = ("municipality", "departments")


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    form = StaffMembershipForm
    list_display = ("user", "municipality", "role", "department_names")
    list_filter = ("municipality", "role")
    list_select_related = ("user", "municipality")
    search_fields = ("user__email", "user__name", "departments__name")
    autocomplete_fields = ("user", "municipality", "departments")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments")

    @admin.display(description="担当部署")
    def department_names(self, obj):
        return "、".join(d.name for d in obj.departments.all()) or "—"


admin.site.register(TreasurySettings, TreasurySettingsAdmin)
admin.site.register(PaymentBatch, PaymentBatchAdmin)
