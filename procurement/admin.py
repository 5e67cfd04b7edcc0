"""Read-only admin pages of procurement data for platform admins: orders,
deliveries and budget codes are written through the city's and the
suppliers' pages (their services) only."""

from django.contrib import admin

from municipality.models import BudgetCode
from procurement.models import Delivery, Order


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BudgetCode)
class BudgetCodeAdmin(ReadOnlyAdmin):
    list_display = (
        "fiscal_year",
        "account",
        "code",
        "name",
        "municipality",
        "is_active",
    )
    list_filter = ("municipality", "fiscal_year", "is_active")
    search_fields = ("setsu_name", "saisetsu_name", "kan", "setsu")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "subject", "supplier", "department", "status", "amount")
    list_filter = ("municipality", "status", "kind", "fiscal_year")
    search_fields = ("number", "subject", "supplier__legal_name")
    list_select_related = ("supplier", "department")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "order",
        "supplier",
        "delivered_on",
        "status",
        "late_days",
    )
    list_filter = ("municipality", "status")
    search_fields = ("number", "order__number", "supplier__legal_name")
    list_select_related = ("order", "supplier")
