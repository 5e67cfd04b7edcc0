"""Peppol tasks: thin, they call a service; TenantTask enters the tenant."""

from celery import shared_task

from municipality.tenant_tasks import TRANSIENT_ERRORS, TenantTask
from peppol.access_point.base import TransientError

# Worth a retry: the shared folder or the provider is away for a moment, or
# the database is.
TRANSIENT = (TransientError, *TRANSIENT_ERRORS)


class SendTask(TenantTask):
    def record_failure(self, exc, *, message_id, **kwargs):
        # Called once the retries are used up (or on an unexpected error):
        # the message stays, marked failed, visible on the invoice page.
        from peppol.access_point.services import peppol_message_failed

        peppol_message_failed(message_id=message_id, error=repr(exc))


@shared_task(
    base=SendTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def peppol_send_task(*, message_id: int, municipality_id: int) -> None:
    """Hand one outgoing message to the access point; safe to run twice."""
    from peppol.access_point.services import peppol_message_deliver

    peppol_message_deliver(message_id=message_id)


@shared_task(base=TenantTask, acks_late=True)
def invoice_response_task(*, invoice_id: int, municipality_id: int, code: str) -> None:
    """Send the Invoice Response of a decision, if the invoice gets one."""
    from invoices.models import Invoice
    from peppol.access_point.services import invoice_response_send

    invoice_response_send(invoice=Invoice.objects.get(pk=invoice_id), code=code)


@shared_task(base=TenantTask, acks_late=True)
def inbound_response_task(*, document_id: int, municipality_id: int) -> None:
    """Send the rejection of a refused inbound document, if it gets one."""
    from peppol.access_point.services import inbound_response_send
    from peppol.models import InboundDocument

    inbound_response_send(document=InboundDocument.objects.get(pk=document_id))


@shared_task(
    base=TenantTask,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def access_point_poll_task(*, municipality_id: int) -> int:
    """Import what one municipality's access point received."""
    from municipality.models import Municipality
    from peppol.access_point.services import access_point_poll

    return access_point_poll(municipality=Municipality.objects.get(pk=municipality_id))


@shared_task(acks_late=True)
def access_points_poll_task() -> int:
    """Scheduled (CELERY_BEAT_SCHEDULE): one poll task per municipality
    with an active access point, so one failing folder retries alone.
    No tenant: it reads every municipality's settings to fan out."""
    from django_scopes import scopes_disabled

    from peppol.models import AccessPointKind, AccessPointSettings

    with scopes_disabled():
        ids = list(
            AccessPointSettings.objects.filter(enabled=True)
            .exclude(kind=AccessPointKind.NONE)
            .values_list("municipality_id", flat=True)
        )
    for municipality_id in ids:
        access_point_poll_task.delay(municipality_id=municipality_id)
    return len(ids)
