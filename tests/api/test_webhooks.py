"""Webhooks: events of the supplier's invoices reach a real HTTP receiver,
signed; failures are retried with backoff and visible; a delivery can be
sent again; addresses inside private networks are refused."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.services.webhooks import (
    BACKOFF_MINUTES,
    SETTLE,
    webhook_deliver,
    webhook_deliveries_collect,
    webhook_endpoint_create,
    webhook_url_problem,
)
from api.tasks import webhooks_tick_task
from invoices.models import InvoiceEvent
from invoices.services.decisions import invoice_approve, invoice_view_record
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on this machine that answers with ``statuses``
    in turn (then 200) and keeps what it received."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"busy")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _settle():
    """Events are read once SETTLE old: age them instead of waiting."""
    with scopes_disabled():
        InvoiceEvent.objects.update(created_at=timezone.now() - SETTLE * 2)


def _approved_invoice(tenant, connection, supplier_user):
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
        invoice = invoice_view_record(invoice=invoice, actor=tenant.department_staff)
        return invoice_approve(
            invoice=invoice,
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
        )


def test_events_arrive_signed(tenant, connection, supplier_user, receiver):
    hook = receiver()
    supplier = connection.supplier
    endpoint = webhook_endpoint_create(
        supplier=supplier,
        actor=supplier_user,
        url=hook.url,
        events=["opened", "approved"],
    )
    invoice = _approved_invoice(tenant, connection, supplier_user)
    _settle()
    webhooks_tick_task.delay()
    assert [json.loads(body)["event"] for _, body in hook.received] == [
        "opened",
        "approved",
    ]
    headers, body = hook.received[1]
    payload = json.loads(body)
    assert payload["invoice"]["number"] == invoice.number
    assert payload["invoice"]["url"].endswith(f"/api/v1/invoices/{invoice.pk}")
    timestamp, signature = (
        part.split("=", 1)[1] for part in headers["X-Portal-Signature"].split(",")
    )
    expected = hmac.new(
        endpoint.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert headers["X-Portal-Event"] == "approved"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.SUCCEEDED
    }
    # Collected once: the next tick sends nothing again.
    webhooks_tick_task.delay()
    assert len(hook.received) == 2


def test_only_new_events_of_its_own_supplier(
    tenant, connection, supplier_user, other_supplier_user, receiver
):
    with scopes_disabled():
        before = make_invoice(connection=connection, actor=supplier_user)
        invoice_view_record(invoice=before, actor=tenant.department_staff)
    hook = receiver()
    webhook_endpoint_create(
        supplier=connection.supplier,
        actor=supplier_user,
        url=hook.url,
        events=["opened"],
    )
    with scopes_disabled():
        other = other_supplier_user.supplier_membership.supplier
        make_invoice(connection=other.connections.get(), actor=other_supplier_user)
    _settle()
    with scopes_disabled():
        assert webhook_deliveries_collect(supplier=connection.supplier) == []


def test_failures_are_retried_with_backoff_then_given_up(
    tenant, connection, supplier_user, receiver
):
    hook = receiver(statuses=[503] * 10)
    webhook_endpoint_create(
        supplier=connection.supplier,
        actor=supplier_user,
        url=hook.url,
        events=["opened"],
    )
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
        invoice_view_record(invoice=invoice, actor=tenant.department_staff)
    _settle()
    webhooks_tick_task.delay()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        DeliveryStatus.PENDING,
        1,
        503,
    )
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    # Not due yet: nothing is sent.
    webhook_deliver(delivery_id=delivery.pk)
    assert len(hook.received) == 1
    for _ in BACKOFF_MINUTES:
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == len(BACKOFF_MINUTES) + 1 == len(hook.received)
    assert delivery.response_body == "busy"


def test_owner_sees_deliveries_replays_and_pings(
    client,
    tenant,
    connection,
    supplier_user,
    receiver,
    django_capture_on_commit_callbacks,
):
    hook = receiver(statuses=[500])
    client.force_login(supplier_user)
    response = client.post(
        "/supplier/webhooks/", {"url": hook.url, "events": ["opened", "paid"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response["Location"] == f"/supplier/webhooks/{endpoint.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/supplier/webhooks/{endpoint.pk}/ping/")
    page = client.get(f"/supplier/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in page
    assert "500 busy" in page
    failed = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/supplier/webhooks/{endpoint.pk}/deliveries/{failed.pk}/replay/")
    assert [json.loads(b)["event"] for _, b in hook.received] == ["ping", "ping"]
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 1


def test_private_and_plain_http_addresses_are_refused(settings, client, supplier_user):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    assert "https://" in webhook_url_problem("http://example.com/hook")
    for url in (
        "https://127.0.0.1/hook",
        "https://10.1.2.3/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest",
    ):
        assert "社内ネットワーク" in webhook_url_problem(url), url
    client.force_login(supplier_user)
    response = client.post(
        "/supplier/webhooks/", {"url": "https://192.168.0.10/hook", "events": ["paid"]}
    )
    assert "社内ネットワーク" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
