"""Reads for the access point (tenant explicit)."""

from peppol.models import AccessPointSettings, OutgoingMessage


def access_point_settings_get(*, municipality) -> AccessPointSettings | None:
    return AccessPointSettings.objects.filter(municipality=municipality).first()


def outgoing_messages_for_invoice(*, invoice) -> list[OutgoingMessage]:
    return list(
        OutgoingMessage.objects.filter(
            municipality=invoice.municipality, subject=f"invoice:{invoice.pk}"
        ).only(
            "response_code",
            "status",
            "message_id",
            "error",
            "created_at",
            "sent_at",
            "document_type",
        )
    )
