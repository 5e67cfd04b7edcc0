"""The loopback access point: a real implementation of the interface that
never leaves the database. What is "sent" is stored; a document addressed
to a participant that is another municipality on loopback lands in that
municipality's inbox, and :func:`loopback_deliver` puts a document in an
inbox as a supplier's access point would. Used in tests and demos."""

import uuid

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from peppol.access_point.base import DeliveryStatus, IncomingDocument, OutgoingDocument
from peppol.access_point.sbdh import sbdh_wrap
from peppol.models import (
    AccessPointKind,
    AccessPointSettings,
    LoopbackDirection,
    LoopbackMessage,
)


def loopback_deliver(
    *, municipality, xml: bytes, filename: str = "", sender: str = "", **envelope
) -> LoopbackMessage:
    """Put a document in the municipality's loopback inbox."""
    return LoopbackMessage.objects.create(
        municipality=municipality,
        direction=LoopbackDirection.IN,
        message_id=f"loopback-{uuid.uuid4()}",
        sender=sender,
        receiver=envelope.get("receiver", ""),
        document_type=envelope.get("document_type", ""),
        process=envelope.get("process", ""),
        filename=filename or "loopback.xml",
        xml=xml,
    )


class LoopbackAccessPoint:
    def __init__(self, settings: AccessPointSettings):
        self.settings = settings
        self.municipality = settings.municipality

    @transaction.atomic
    def send(self, document: OutgoingDocument) -> str:
        message_id = f"loopback-{document.instance_id}"
        sent = LoopbackMessage.objects.filter(message_id=message_id).first()
        if sent:  # a retried send: the same message, not a second one
            return message_id
        envelope = {
            "sender": document.sender,
            "receiver": document.receiver,
            "document_type": document.document_type,
            "process": document.process,
        }
        LoopbackMessage.objects.create(
            municipality=self.municipality,
            direction=LoopbackDirection.OUT,
            message_id=message_id,
            filename=f"{document.instance_id}.xml",
            xml=sbdh_wrap(document),
            done_at=timezone.now(),
            **envelope,
        )
        with scopes_disabled():
            receivers = AccessPointSettings.objects.filter(
                participant_id=document.receiver,
                kind=AccessPointKind.LOOPBACK,
                enabled=True,
            ).exclude(municipality=self.municipality)
            for receiver in receivers:
                loopback_deliver(
                    municipality=receiver.municipality,
                    xml=document.xml,
                    filename=f"{document.instance_id}.xml",
                    **envelope,
                )
        return message_id

    def receive(self) -> list[IncomingDocument]:
        return [
            IncomingDocument(
                xml=bytes(message.xml),
                filename=message.filename,
                reference=message.message_id,
                envelope={"sender": message.sender} if message.sender else {},
            )
            for message in LoopbackMessage.objects.filter(
                municipality=self.municipality,
                direction=LoopbackDirection.IN,
                done_at__isnull=True,
            )
        ]

    def done(self, document: IncomingDocument, *, error: str = "") -> None:
        LoopbackMessage.objects.filter(
            municipality=self.municipality, message_id=document.reference
        ).update(done_at=timezone.now(), error=error)

    def status(self, message_id: str) -> DeliveryStatus:
        if LoopbackMessage.objects.filter(
            municipality=self.municipality,
            direction=LoopbackDirection.OUT,
            message_id=message_id,
        ).exists():
            return DeliveryStatus.DELIVERED
        return DeliveryStatus.UNKNOWN
