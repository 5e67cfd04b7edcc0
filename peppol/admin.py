"""Admin for Peppol: settings edited with the city console's checks;
messages are read-only (they change through the services)."""

from django.contrib import admin

from peppol.forms import AccessPointSettingsForm
from peppol.models import AccessPointSettings, LoopbackMessage, OutgoingMessage


@admin.register(AccessPointSettings)
class AccessPointSettingsAdmin(admin.ModelAdmin):
    form = AccessPointSettingsForm
    list_display = ("municipality", "participant_id", "kind", "enabled", "updated_at")
    list_select_related = ("municipality",)
    fields = ("municipality", "participant_id", "kind", "directory", "enabled")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "municipality",
        "subject",
        "response_code",
        "receiver",
        "status",
        "attempts",
    )
    list_filter = ("status", "response_code")
    list_select_related = ("municipality",)
    exclude = ("xml",)


@admin.register(LoopbackMessage)
class LoopbackMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "municipality", "direction", "message_id", "done_at")
    list_select_related = ("municipality",)
    exclude = ("xml",)
