"""``benchmarks/audit_chain.py`` at a small size: the verifier's fast path
(the database writes each invoice event's canonical text) hashes the very
text ``event_digest`` hashes, awkward characters included, still finds an
altered event, and keeps pace with reading the rows bare."""

import time

import pytest
from django.db import connection as db, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from benchmarks.audit_chain import floor
from invoices import audit_verify
from invoices.audit import event_hash, events_write
from invoices.audit_verify import chain_verify
from invoices.models import EventKind, InvoiceEvent
from partners.models import Connection
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

AWKWARD = "山田 \"太郎\" \\ <a@example.com>\t\n\r\x01\x1f\x7f \u2028 𠮷 ～ =1+1 'x'"


def _events(invoice, count: int, **fields) -> list[InvoiceEvent]:
    now = timezone.now()
    return [
        InvoiceEvent(
            invoice=invoice,
            municipality_id=invoice.municipality_id,
            kind=EventKind.EXPORTED,
            actor=None,
            actor_label=fields.get("actor_label", "システム"),
            reason=fields.get("reason", ""),
            from_status=fields.get("from_status", ""),
            data=fields.get("data", {"n": n}),
            content_hash=invoice.content_hash,
            created_at=now.replace(microsecond=n % 2 * 123),
        )
        for n in range(count)
    ]


@pytest.fixture
def invoice(tenant, supplier_user):
    with scopes_disabled():
        link = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        return make_invoice(connection=link, actor=supplier_user)


def test_the_fast_path_hashes_awkward_text_as_event_digest(invoice):
    awkward = {
        "actor_label": AWKWARD,
        "reason": AWKWARD,
        "from_status": "\\",
        "data": {"z": [1, "2", None, True, 1.5], "a": {AWKWARD: AWKWARD}},
    }
    with transaction.atomic():
        written = events_write(_events(invoice, 3, **awkward))
    assert all(event.hash == event_hash(event) for event in written)
    with scopes_disabled():
        assert chain_verify() is None
        rows = list(audit_verify._invoice_reader(InvoiceEvent.objects.all()).rows)
    assert db.vendor != "postgresql" or all(len(row) == 7 for row in rows)


def test_the_fast_path_finds_an_altered_event(invoice):
    with transaction.atomic():
        written = events_write(_events(invoice, 60, reason=AWKWARD))
    with scopes_disabled():
        InvoiceEvent.objects.filter(pk=written[30].pk).update(reason=AWKWARD + "x")
        problem = chain_verify()
    assert problem is not None
    assert problem.event_id == written[30].pk


@pytest.mark.skipif(db.vendor != "postgresql", reason="the floor reads PostgreSQL")
def test_the_events_pass_keeps_pace_with_a_bare_read(invoice):
    """Measured: 1.2× the floor's time at 270,000 events. Generous here (a
    shared machine, a small size)."""
    with transaction.atomic():
        for _ in range(4):
            events_write(_events(invoice, 2500))
    with scopes_disabled():
        started = time.perf_counter()
        for chain in audit_verify.chains_of():
            assert audit_verify._walk(chain, audit_verify.ChainResult(chain)) is None
        walked = time.perf_counter() - started
    read, bare = floor()
    assert read >= 10_000
    assert walked < 5 * bare
