"""Peppol tasks: thin, they enter the tenant and call a service."""

from celery import Task, shared_task

from peppol.access_point.base import TransientError

# Worth a retry: the shared folder or the provider is away for a moment.
TRANSIENT = (TransientError, OSError, ConnectionError, TimeoutError)


class SendTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are used up (or on an unexpected error):
        # the message stays, marked failed, visible on the invoice page.
        from django_scopes import scope

        from peppol.access_point.services import peppol_message_failed

        with scope(municipality=kwargs["municipality_id"]):
            peppol_message_failed(message_id=kwargs["message_id"], error=repr(exc))


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
    from django_scopes import scope

    from peppol.access_point.services import peppol_message_deliver

    with scope(municipality=municipality_id):
        peppol_message_deliver(message_id=message_id)


@shared_task(acks_late=True)
def invoice_response_task(*, invoice_id: int, municipality_id: int, code: str) -> None:
    """Send the Invoice Response of a decision, if the invoice gets one."""
    from django_scopes import scope

    from invoices.models import Invoice
    from peppol.access_point.services import invoice_response_send

    with scope(municipality=municipality_id):
        invoice_response_send(invoice=Invoice.objects.get(pk=invoice_id), code=code)


@shared_task(acks_late=True)
def inbound_response_task(*, document_id: int, municipality_id: int) -> None:
    """Send the rejection of a refused inbound document, if it gets one."""
    from django_scopes import scope

    from peppol.access_point.services import inbound_response_send
    from peppol.models import InboundDocument

    with scope(municipality=municipality_id):
        inbound_response_send(document=InboundDocument.objects.get(pk=document_id))


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def access_point_poll_task(*, municipality_id: int) -> int:
    """Import what one municipality's access point received."""
    from django_scopes import scope

    from municipality.models import Municipality
    from peppol.access_point.services import access_point_poll

    with scope(municipality=municipality_id):
        return access_point_poll(
            municipality=Municipality.objects.get(pk=municipality_id)
        )


@shared_task(acks_late=True)
def access_points_poll_task() -> int:
    """Scheduled (CELERY_BEAT_SCHEDULE): one poll task per municipality
    with an active access point, so one failing folder retries alone."""
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
