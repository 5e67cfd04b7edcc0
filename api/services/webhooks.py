"""Webhooks: a supplier's system is told of its invoices' events.

Deliveries are collected from the invoices' history (``InvoiceEvent``), not
sent from inside the services that write it: whatever wrote an event (a
page, a batch, an import, a bulk write), it is found. Each delivery is a
row, sent by a Celery task and, when it fails, tried again by the
periodic job with a growing backoff; a row survives a lost task or a
restarted Redis. Every delivery is signed::

    X-Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

so the receiver can check that it came from the portal and is recent.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from accounts.models import User
from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from invoices.models import InvoiceEvent
from partners.models import Supplier

# Minutes to wait after each failed attempt; after the last, it has failed.
BACKOFF_MINUTES = (1, 5, 30, 120, 360, 720)
TIMEOUT_SECONDS = 10
RESPONSE_KEPT = 2000
# Events are read once they are this old: ids are taken before commit, so a
# slower transaction may commit an older id after a newer one.
SETTLE = timedelta(seconds=30)
# A claimed delivery is left to its sender this long before being retried.
CLAIM = timedelta(minutes=5)
USER_AGENT = "municipal-invoice-portal-webhooks/1"


def _private(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False  # unresolvable now: the delivery will say so
    return any(
        not ipaddress.ip_address(address.split("%")[0]).is_global
        for address in addresses
    )


def webhook_url_problem(url: str) -> str | None:
    """Why the portal will not send to ``url``, or ``None``. Only HTTPS, and
    not into a private network (the portal runs inside the city's network:
    a webhook must not become a way in), unless
    ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is set for development."""
    parts = urlsplit(url)
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return (
            None
            if parts.scheme in ("http", "https")
            else gettext("https:// で始まるURLを入力してください。")
        )
    if parts.scheme != "https" or not parts.hostname:
        return gettext("https:// で始まるURLを入力してください。")
    if _private(parts.hostname):
        return gettext(
            "社内ネットワークなどインターネットから届かないアドレスには送れません。"
            "インターネットから届くURLを入力してください。"
        )
    return None


def _events_now_max() -> int:
    with scopes_disabled():
        last = InvoiceEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def webhook_endpoint_create(
    *, supplier: Supplier, actor: User, url: str, events: list[str]
) -> WebhookEndpoint:
    """A new endpoint, told of events from now on (not of the past)."""
    if problem := webhook_url_problem(url):
        raise ValidationError({"url": problem})
    return WebhookEndpoint.objects.create(
        supplier=supplier,
        url=url,
        events=sorted(set(events)),
        secret=secrets.token_hex(32),
        last_event_id=_events_now_max(),
        created_by=actor,
    )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    endpoint.delete()


def _payload(event: InvoiceEvent, delivery_event: str) -> dict:
    invoice = event.invoice
    return {
        "event": delivery_event,
        "occurred_at": event.created_at.isoformat(),
        "reason": event.reason,
        "invoice": {
            "id": invoice.pk,
            "number": invoice.number,
            "receipt_number": invoice.receipt_number,
            "status": event.to_status or invoice.status,
            "municipality": invoice.municipality.name,
            "department": invoice.department.name,
            "total": int(invoice.total),
            "url": settings.SITE_URL.rstrip("/")
            + reverse("api:invoice", kwargs={"invoice_id": invoice.pk}),
        },
    }


@transaction.atomic
def webhook_deliveries_collect(*, supplier: Supplier) -> list[int]:
    """Turns the supplier's new history events into deliveries, for each of
    its active endpoints, and returns the new deliveries' ids."""
    endpoints = WebhookEndpoint.objects.select_for_update().filter(
        supplier=supplier, is_active=True
    )
    settled = timezone.now() - SETTLE
    created = []
    for endpoint in endpoints:
        events = list(
            InvoiceEvent.objects.filter(
                pk__gt=endpoint.last_event_id,
                invoice__supplier=supplier,
                created_at__lte=settled,
            )
            .select_related("invoice__municipality", "invoice__department")
            .order_by("pk")[:1000]
        )
        if not events:
            continue
        wanted = set(endpoint.events)
        now = timezone.now()
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                event=event.kind,
                payload=_payload(event, event.kind),
                next_attempt_at=now,
            )
            for event in events
            if event.kind in wanted
        )
        created += [delivery.pk for delivery in deliveries]
        endpoint.last_event_id = events[-1].pk
        endpoint.save(update_fields=["last_event_id"])
    return created


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer, not a new address to send to


def _post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    # The scheme is http(s): webhook_url_problem checked it.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(RESPONSE_KEPT).decode(
                "utf-8", "replace"
            )
    except urllib.error.HTTPError as error:
        return error.code, error.read(RESPONSE_KEPT).decode("utf-8", "replace")


def webhook_deliveries_due() -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:500]
    )


def webhook_deliver(*, delivery_id: int) -> None:
    """One attempt to send a delivery. The row is claimed first, so two
    senders (a task and the periodic job) never send it at once."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM)
    if not claimed:
        return
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Portal-Event": delivery.event,
        "X-Portal-Delivery": str(delivery.pk),
        "X-Portal-Signature": webhook_signature(
            secret=endpoint.secret, timestamp=timestamp, body=body
        ),
    }
    status, text, error = None, "", ""
    if problem := webhook_url_problem(endpoint.url):
        error = problem
    else:
        try:
            status, text = _post(endpoint.url, body, headers)
        except (OSError, ValueError) as exc:
            error = str(exc)[:300] or exc.__class__.__name__
    delivery.attempts += 1
    delivery.response_status, delivery.response_body, delivery.error = (
        status,
        text,
        error,
    )
    if status is not None and 200 <= status < 300:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts > len(BACKOFF_MINUTES):
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        wait = BACKOFF_MINUTES[delivery.attempts - 1]
        delivery.next_attempt_at = timezone.now() + timedelta(minutes=wait)
    delivery.save()


def webhook_delivery_replay(
    *, delivery: WebhookDelivery, actor: User
) -> WebhookDelivery:
    """Sends a delivery's message again, as a new delivery."""
    return WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
    )


def webhook_ping(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """A test message (``ping``), to check the receiver and its signature
    check."""
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="ping",
        payload={
            "event": "ping",
            "occurred_at": timezone.now().isoformat(),
            "events": endpoint.events,
        },
        next_attempt_at=timezone.now(),
    )
