from django import forms
from django.contrib import admin
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext, gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from accounts.spreadsheets import FormulaSafeCSV
from municipality.fields import PostalCodeField
from municipality.models import (
    Department,
    Municipality,
    StaffMembership,
    StaffRole,
)
from municipality.resources import DepartmentResource
from municipality.services import (
    municipality_save,
    staff_membership_revoke,
    staff_membership_save,
)


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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # 〒８９３－００１４ is stored as 893-0014, as on the supplier forms.
        if db_field.name == "postal_code":
            return PostalCodeField(label=db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through the service, so deadline and reminder changes are audited.
        municipality_save(municipality=obj, actor=request.user)

    @admin.display(description=_("部署数"), ordering="_departments")
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
                "departments", gettext("担当部署には同じ自治体の部署を選んでください。")
            )
        if cleaned.get("role") == StaffRole.DEPARTMENT and not departments:
            self.add_error(
                "departments",
                gettext("部署担当者には担当部署を1つ以上選んでください。"),
            )
        return cleaned


class StaffMembershipFormSet(BaseInlineFormSet):
    """Saves and deletes each role through the services, so that every role
    granted, changed or removed on a user's page is audited. ``actor`` is
    set per request by ``StaffMembershipInline.get_formset``."""

    actor = None

    def save_new(self, form, commit=True):
        membership = super().save_new(form, commit=False)
        return staff_membership_save(
            membership=membership,
            departments=form.cleaned_data.get("departments") or [],
            actor=self.actor,
        )

    def save_existing(self, form, obj, commit=True):
        return staff_membership_save(
            membership=form.instance,
            departments=form.cleaned_data.get("departments") or [],
            actor=self.actor,
        )

    def delete_existing(self, obj, commit=True):
        if commit:
            staff_membership_revoke(membership=obj, actor=self.actor)


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    form = StaffMembershipForm
    formset = StaffMembershipFormSet
    extra = 0
    fields = ("municipality", "role", "departments")
    autocomplete_fields = ("municipality", "departments")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": request.user})


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

    @admin.display(description=_("担当部署"))
    def department_names(self, obj):
        return gettext("、").join(d.name for d in obj.departments.all()) or "—"

    # Every write goes through the services, which record it.

    def save_model(self, request, obj, form, change):
        staff_membership_save(
            membership=obj,
            departments=form.cleaned_data.get("departments") or [],
            actor=request.user,
        )

    def delete_model(self, request, obj):
        staff_membership_revoke(membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            staff_membership_revoke(membership=membership, actor=request.user)
