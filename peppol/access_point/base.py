"""The access-point interface: the portal builds and reads the documents,
a certified Peppol service provider does AS4 (reference §4.4). Every
adapter implements :class:`AccessPoint`."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from django.db import models
from django.utils.translation import gettext_lazy as _

PARTICIPANT_SCHEME = "iso6523-actorid-upis"
DOCTYPE_SCHEME_WILDCARD = "peppol-doctype-wildcard"
DOCTYPE_SCHEME_QNS = "busdox-docid-qns"
PROCESS_SCHEME = "cenbii-procid-ubl"

# JP PINT billing invoice (sent with the wildcard scheme, reference §4.4).
INVOICE_DOCUMENT_TYPE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:peppol:pint:billing-1@jp-1::2.1"
)
INVOICE_PROCESS = "urn:peppol:bis:billing"
# Peppol BIS Invoice Response 3 (T111, reference §5.1).
RESPONSE_DOCUMENT_TYPE = (
    "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
    "::ApplicationResponse##urn:fdc:peppol.eu:poacc:trns:invoice_response:3::2.1"
)
RESPONSE_PROCESS = "urn:fdc:peppol.eu:poacc:bis:invoice_response:3"


class TransientError(Exception):
    """The access point could not be reached now; trying again later may
    work (a full disk, a network share away, a provider timeout)."""


class DeliveryStatus(models.TextChoices):
    """What an access point knows about a message it took."""

    PENDING = "pending", _("アクセスポイントの処理待ち")
    DELIVERED = "delivered", _("配信済み")
    FAILED = "failed", _("配信失敗")
    UNKNOWN = "unknown", _("不明")


@dataclass(frozen=True)
class OutgoingDocument:
    """One business document and its envelope (SBDH) data. Participant IDs
    are ``<ICD>:<value>`` (e.g. ``0188:4000020462039``); ``document_type``
    and ``process`` are the identifier values without their scheme."""

    xml: bytes
    sender: str
    receiver: str
    document_type: str
    process: str
    instance_id: str
    created_at: datetime
    document_type_scheme: str = DOCTYPE_SCHEME_QNS
    country_c1: str = "JP"


@dataclass
class IncomingDocument:
    """A document the access point received: the business document itself
    (the SBDH payload when it came enveloped) and what the envelope said.
    ``reference`` is the adapter's handle, given back to ``done``."""

    xml: bytes
    filename: str
    reference: str
    envelope: dict = field(default_factory=dict)


@runtime_checkable
class AccessPoint(Protocol):
    """What the portal asks of an access point.

    ``receive`` hands over what arrived; after the portal has taken each
    document (stored and imported, or refused) it calls ``done`` with the
    reason of a refusal, so the adapter can file it away: nothing inbound
    is ever dropped or received twice. Errors worth a retry raise
    :class:`TransientError`."""

    def send(self, document: OutgoingDocument) -> str:
        """Hand the document over; return the message ID."""
        ...

    def receive(self) -> list[IncomingDocument]: ...

    def done(self, document: IncomingDocument, *, error: str = "") -> None: ...

    def status(self, message_id: str) -> DeliveryStatus: ...
