"""Writes for the access point: its settings, outgoing messages and their
delivery, Invoice Responses for the city's decisions, and the inbound
poll. Transport happens in Celery tasks after commit."""

import logging
from functools import partial

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, override
from django_scopes import scopes_disabled

from invoices.models import Invoice, InvoiceStatus
from municipality.models import Municipality
from peppol.access_point import OutgoingDocument, TransientError, access_point_for
from peppol.access_point.base import (
    DOCTYPE_SCHEME_QNS,
    RESPONSE_DOCUMENT_TYPE,
    RESPONSE_PROCESS,
    AccessPoint,
    DeliveryStatus,
    IncomingDocument,
)
from peppol.access_point.sbdh import EnvelopeError, sbdh_unwrap
from peppol.models import (
    AccessPointKind,
    AccessPointSettings,
    InboundDocument,
    MessageStatus,
    OutgoingMessage,
    ResponseCode,
)
from peppol.responses import (
    RETURN_ACTION_CODE,
    RETURN_REASON_CODES,
    InvoiceResponse,
    Party,
    invoice_response_xml,
)
from peppol.selectors import access_point_settings_get

logger = logging.getLogger(__name__)

NOT_CONFIGURED = _("アクセスポイントが設定されていないか、無効になっています。")


def default_participant_id(municipality: Municipality) -> str:
    """A local government's Peppol ID: 0188 + its corporate number."""
    return f"0188:{municipality.corporate_number}"


def access_point_settings_save(
    *, municipality: Municipality, values: dict
) -> AccessPointSettings:
    """Create or update the municipality's access-point settings."""
    settings = access_point_settings_get(municipality=municipality) or (
        AccessPointSettings(municipality=municipality)
    )
    for name, value in values.items():
        setattr(settings, name, value)
    if settings.kind == AccessPointKind.NONE:
        settings.enabled = False
    settings.full_clean()
    settings.save()
    return settings


# Outgoing -----------------------------------------------------------------


def peppol_send(
    *,
    municipality: Municipality,
    subject: str,
    xml: bytes,
    receiver: str,
    document_type: str,
    process: str,
    response_code: str = "",
    invoice: Invoice | None = None,
) -> OutgoingMessage:
    """Record a document to send and hand it to the municipality's access
    point after commit (``peppol_send_task``, retried on transient errors).
    A second request for the same response of the same subject returns
    the first message."""
    from peppol.tasks import peppol_send_task

    settings = access_point_settings_get(municipality=municipality)
    if response_code:
        existing = OutgoingMessage.objects.filter(
            municipality=municipality, subject=subject, response_code=response_code
        ).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            message = OutgoingMessage.objects.create(
                municipality=municipality,
                invoice=invoice,
                subject=subject,
                response_code=response_code,
                document_type=document_type,
                process=process,
                sender=settings.participant_id if settings else "",
                receiver=receiver,
                xml=xml,
            )
    except IntegrityError:
        # The same response requested twice at the same moment: one is kept.
        return OutgoingMessage.objects.get(
            municipality=municipality, subject=subject, response_code=response_code
        )
    transaction.on_commit(
        partial(
            peppol_send_task.delay,
            message_id=message.pk,
            municipality_id=municipality.pk,
        )
    )
    return message


def peppol_message_deliver(*, message_id: int) -> OutgoingMessage:
    """Hand a queued message to the access point; safe to run twice.
    Raises ``TransientError``/``OSError`` (after counting the attempt) when
    trying again later may work."""
    with transaction.atomic():
        message = OutgoingMessage.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.QUEUED:
            return message
        message.attempts += 1
        message.save(update_fields=["attempts", "updated_at"])
    settings = access_point_settings_get(municipality=message.municipality)
    adapter = access_point_for(settings)
    if adapter is None:
        message.status = MessageStatus.FAILED
        message.error = str(NOT_CONFIGURED)
        message.save(update_fields=["status", "error", "updated_at"])
        return message
    document = OutgoingDocument(
        xml=bytes(message.xml),
        sender=message.sender or settings.participant_id,
        receiver=message.receiver,
        document_type=message.document_type,
        process=message.process,
        instance_id=str(message.instance_id),
        created_at=timezone.localtime(message.created_at),
        document_type_scheme=DOCTYPE_SCHEME_QNS,
    )
    try:
        message.message_id = adapter.send(document)
    except (TransientError, OSError) as error:
        message.error = str(error)
        message.save(update_fields=["error", "updated_at"])
        raise
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.save(
        update_fields=["message_id", "status", "sent_at", "error", "updated_at"]
    )
    return message


def peppol_message_failed(*, message_id: int, error: str) -> None:
    """The retries are spent: the message stays, marked failed."""
    OutgoingMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
        status=MessageStatus.FAILED, error=error, updated_at=timezone.now()
    )


def _statuses_refresh(settings: AccessPointSettings, adapter: AccessPoint) -> None:
    for message in OutgoingMessage.objects.filter(
        municipality=settings.municipality, status=MessageStatus.SENT
    ):
        status = adapter.status(message.message_id)
        if status == DeliveryStatus.DELIVERED:
            message.status = MessageStatus.DELIVERED
        elif status == DeliveryStatus.FAILED:
            message.status = MessageStatus.FAILED
            message.error = gettext("アクセスポイント事業者が配信できませんでした。")
        else:
            continue
        message.save(update_fields=["status", "error", "updated_at"])


# Invoice Responses --------------------------------------------------------


# The Invoice Response that answers each decision (reference §5.2).
DECISION_RESPONSES = {
    InvoiceStatus.ISSUED: ResponseCode.AB,
    InvoiceStatus.RETURNED: ResponseCode.RE,
    InvoiceStatus.APPROVED: ResponseCode.AP,
    InvoiceStatus.PAID: ResponseCode.PD,
}


def invoices_decided_respond(
    sender: type[Invoice], *, invoices: list[Invoice], status: str, **kwargs
) -> None:
    """Receiver of ``invoices.signals.invoices_decided``: ask, after commit,
    for the Invoice Response of each invoice (``invoice_response_send``),
    unless the municipality has no active access point; then nothing is
    queued at all."""
    if not invoices:
        return
    with scopes_disabled():  # looked up by its municipality explicitly
        settings = AccessPointSettings.objects.filter(
            municipality_id=invoices[0].municipality_id
        ).first()
    if settings is None or not settings.is_active:
        return
    from peppol.tasks import invoice_response_task

    for invoice in invoices:
        transaction.on_commit(
            partial(
                invoice_response_task.delay,
                invoice_id=invoice.pk,
                municipality_id=invoice.municipality_id,
                code=DECISION_RESPONSES[status],
            )
        )


def _peppol_origin(invoice: Invoice) -> InboundDocument | None:
    """The inbound document the invoice came from over Peppol (the access
    point or its inbox folder, not an upload), if any."""
    from peppol.inbound import inbound_for_invoice
    from peppol.models import InboundSource

    document = inbound_for_invoice(invoice)
    if document is None or document.source == InboundSource.UPLOAD:
        return None
    if not (document.sender_scheme and document.sender_id):
        return None
    return document


def invoice_response_send(*, invoice: Invoice, code: str) -> OutgoingMessage | None:
    """Send the Invoice Response (T111) for a decision on the invoice, when
    the municipality has an active access point and the invoice came in
    over Peppol (then its sender is a Peppol participant; a supplier who
    uses the web form hears of the decision by the portal and email)."""
    settings = access_point_settings_get(municipality=invoice.municipality)
    if settings is None or not settings.is_active:
        return None
    origin = _peppol_origin(invoice)
    if origin is None:
        return None
    today = timezone.localdate()
    reasons, actions, text, effective = (), (), "", None
    if code == ResponseCode.RE:
        reasons = (RETURN_REASON_CODES.get(invoice.return_reason, "OTH"),)
        actions = (RETURN_ACTION_CODE,)
        text = invoice.return_explanation
    elif code == ResponseCode.PD:
        effective = today
    response = InvoiceResponse(
        response_id=f"{invoice.receipt_number or invoice.pk}-{code}",
        issue_date=today,
        code=code,
        sender=Party(settings.participant_id, invoice.municipality.name),
        receiver=Party(
            f"{origin.sender_scheme}:{origin.sender_id}",
            invoice.supplier.legal_name,
        ),
        invoice_number=invoice.number,
        invoice_issue_date=invoice.issue_date,
        effective_date=effective,
        reasons=reasons,
        actions=actions,
        reason_text=text,
    )
    return peppol_send(
        municipality=invoice.municipality,
        subject=f"invoice:{invoice.pk}",
        invoice=invoice,
        response_code=code,
        xml=invoice_response_xml(response),
        receiver=response.receiver.participant_id,
        document_type=RESPONSE_DOCUMENT_TYPE,
        process=RESPONSE_PROCESS,
    )


def inbound_response_request(*, document: InboundDocument) -> None:
    """Ask, after commit, for the rejection (RE) of a document the city
    refused before it became an invoice (受取拒否 in the 宛先不明 queue)."""
    from peppol.tasks import inbound_response_task

    if document.municipality_id is None:
        return
    transaction.on_commit(
        partial(
            inbound_response_task.delay,
            document_id=document.pk,
            municipality_id=document.municipality_id,
        )
    )


def inbound_response_send(*, document: InboundDocument) -> OutgoingMessage | None:
    """RE for a refused inbound document, when it came over Peppol and the
    municipality has an active access point. The reason code says whether
    the city could not tell who the document was for (REC) or refused it
    for another reason (OTH); the action is the one the city chose."""
    from peppol.models import InboundSource, InboundStatus

    settings = access_point_settings_get(municipality=document.municipality)
    if settings is None or not settings.is_active:
        return None
    if (
        document.status != InboundStatus.REJECTED
        or document.source == InboundSource.UPLOAD
        or not (document.sender_scheme and document.sender_id)
    ):
        return None
    response = InvoiceResponse(
        response_id=f"inbound-{document.pk}-RE",
        issue_date=timezone.localdate(),
        code=ResponseCode.RE,
        sender=Party(settings.participant_id, document.municipality.name),
        receiver=Party(
            f"{document.sender_scheme}:{document.sender_id}",
            document.seller_name or document.sender_id,
        ),
        invoice_number=document.document_number or document.filename,
        reasons=("REC" if document.department_id is None else "OTH",),
        actions=(document.rejection_action or "OTH",),
        reason_text=document.reason,
    )
    return peppol_send(
        municipality=document.municipality,
        subject=f"inbound:{document.pk}",
        response_code=ResponseCode.RE,
        xml=invoice_response_xml(response),
        receiver=response.receiver.participant_id,
        document_type=RESPONSE_DOCUMENT_TYPE,
        process=RESPONSE_PROCESS,
    )


# Inbound -------------------------------------------------------------------


def _inbound_take(settings: AccessPointSettings, incoming: IncomingDocument) -> str:
    """Hand one received file to the import; the reason it was refused, or
    an empty string."""
    from peppol.inbound import inbound_receive
    from peppol.models import InboundStatus

    try:
        xml, _envelope = sbdh_unwrap(incoming.xml)
    except EnvelopeError as error:
        return str(error)
    source = (
        "directory" if settings.kind == AccessPointKind.DIRECTORY else "access_point"
    )
    try:
        with transaction.atomic():
            document = inbound_receive(
                xml=xml, filename=incoming.filename, source=source
            )
    except (DatabaseError, OSError):
        raise  # transient: the file stays in the inbox for the next poll
    except Exception as error:
        # A fault of ours with this one file must not hold back the others:
        # it is filed with the reason (and logged) for the operators.
        logger.exception("inbound file %s not taken", incoming.filename)
        return gettext("取り込み中にエラーが発生しました（%(error)s）。") % {
            "error": f"{type(error).__name__}: {error}"
        }
    if document.status == InboundStatus.FAILED:
        rules = ", ".join(
            p.get("rule", "")
            for p in document.problems
            if not p.get("warning") and p.get("rule")
        )
        reason = document.reason or gettext("取り込めませんでした。")
        if rules:
            return gettext("%(reason)s\n（ルール: %(rules)s）") % {
                "reason": reason,
                "rules": rules,
            }
        return reason
    return ""


# Why a file was refused goes back to the access point provider's folder:
# written in Japanese, whoever started the poll.
@override("ja")
def access_point_poll(*, municipality: Municipality) -> int:
    """Take everything the municipality's access point received and refresh
    the delivery status of what was sent. Returns the number of documents
    taken. Each file is imported on its own: one bad file does not hold
    back the others."""
    settings = access_point_settings_get(municipality=municipality)
    adapter = access_point_for(settings)
    if adapter is None:
        return 0
    received = adapter.receive()
    for incoming in received:
        adapter.done(incoming, error=_inbound_take(settings, incoming))
    _statuses_refresh(settings, adapter)
    return len(received)
