"""Received JP PINT documents in the Django admin (platform administrators,
scopes disabled): every document, including those whose buyer is not a
municipality of the portal (no municipality, seen nowhere else). Read-only:
documents are decided on in the city's 宛先不明 queue."""

from django.contrib import admin

from peppol.models import InboundDocument, JpPintUpload


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboundDocument)
class InboundDocumentAdmin(_ReadOnly):
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
class JpPintUploadAdmin(_ReadOnly):
    list_display = ("created_at", "supplier", "filename", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in JpPintUpload._meta.fields]
