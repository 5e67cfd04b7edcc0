"""Received JP PINT documents in the Django admin (platform administrators,
scopes disabled): every document, including those whose buyer is not a
municipality of the portal (no municipality, seen nowhere else). Read-only:
documents are decided on in the city's 宛先不明 queue."""

from django.contrib import admin

from invoices.admin import ReadOnlyAdmin
from peppol.forms import AccessPointSettingsForm
from peppol.models import (
    AccessPointSettings,
    InboundDocument,
    JpPintUpload,
    LoopbackMessage,
    OutgoingMessage,
)


@admin.register(InboundDocument)
class InboundDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "status",
        "source",
        "municipality",
        "seller_name",
        "seller_registration_number",
        "document_number",
        "buyer_scheme",
        "buyer_id",
    )
    list_filter = ("status", "source", ("municipality", admin.EmptyFieldListFilter))
    search_fields = (
        "document_number",
        "seller_name",
        "seller_registration_number",
        "buyer_id",
        "sha256",
    )
    readonly_fields = [f.name for f in InboundDocument._meta.fields]

    def get_queryset(self, request):
        return InboundDocument.objects.with_scopes_disabled().select_related(
            "municipality", "supplier", "department", "invoice"
        )


@admin.register(JpPintUpload)
class JpPintUploadAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "supplier", "filename", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in JpPintUpload._meta.fields]


# Access point: settings edited with the city console's checks; messages
# are read-only (they change through the services).


@admin.register(AccessPointSettings)
class AccessPointSettingsAdmin(admin.ModelAdmin):
    form = AccessPointSettingsForm
    list_display = ("municipality", "participant_id", "kind", "enabled", "updated_at")
    list_select_related = ("municipality",)
    fields = ("municipality", "participant_id", "kind", "directory", "enabled")


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
