"""``benchmarks/exports.py`` at a small size: a streamed CSV export reads
and records in a number of queries that does not grow with the invoices,
its history events (one per chunk, listing its invoices) keep the chain
intact, and the hashes of alike events are ``event_digest``'s."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from benchmarks.exports import URL, export_floor, seed
from invoices import audit, audit_verify
from invoices.exports import pipeline, search_csv
from invoices.models import EventKind, Invoice, InvoiceEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "alike",
    [
        {
            "municipality": 3,
            "kind": "exported",
            "actor": None,
            "actor_label": "システム",
            "from_status": "",
            "to_status": "",
            "reason": "",
            "data": {},
        },
        {
            "municipality": 12,
            "kind": "batch",
            "actor": 7,
            "actor_label": '山田 "太郎" \\ <a@example.com>\t\n\x01',
            "from_status": "approved",
            "to_status": "scheduled",
            "reason": "𠮷野家 ～ \u2028 =1+1",
            "data": {"z": [1, "2", None, True], "a": {"b": '\x1f\\"'}, "n": 1.5},
        },
    ],
)
def test_alike_events_hash_as_event_digest(alike):
    now = timezone.now()
    digest = audit.alike_digest(**alike, created_at=now)
    for invoice, content, prev in ((1, "a" * 64, "0" * 64), (987654, "", "f" * 64)):
        hashed = dict(alike, invoice=invoice, content_hash=content, prev_hash=prev)
        expected = audit.event_digest(*(hashed[name] for name in _ARGUMENTS), now)
        assert digest(invoice, content, prev) == expected


_ARGUMENTS = (
    "invoice",
    "municipality",
    "kind",
    "actor",
    "actor_label",
    "from_status",
    "to_status",
    "reason",
    "data",
    "content_hash",
    "prev_hash",
)


def test_a_long_export_reads_and_records_in_the_same_number_of_queries(monkeypatch):
    """A first chunk of 10, then chunks of 50, recorded at once as events
    listing at most 50 invoices: 80 invoices or 160, the same queries;
    every invoice is listed, and the chain verifies."""
    monkeypatch.setattr(pipeline, "EXPORT_FIRST_CHUNK", 10)
    monkeypatch.setattr(pipeline, "EXPORT_CHUNK", 50)
    membership = seed(160)
    with scopes_disabled():
        ids = sorted(
            Invoice.objects.filter(supplier=membership.supplier).values_list(
                "pk", flat=True
            )
        )

        def queries(count: int) -> int:
            with CaptureQueriesContext(connection) as captured:
                streamed = pipeline.invoices_export_stream(
                    invoices=Invoice.objects.filter(pk__in=ids[:count]).order_by("pk"),
                    file_format=search_csv.SEARCH_FORMATS[pipeline.CSV_UTF8],
                    actor=membership.user,
                )
                lines = b"".join(streamed.content).count(b"\r\n")
            assert lines == 1 + count
            return len(captured)

        assert queries(80) == queries(160)
        # Events of at most 50 invoices: 50 + 30, then 50 + 50 + 50 + 10.
        exported = InvoiceEvent.objects.filter(kind=EventKind.EXPORTED)
        assert [len(event.data["invoices"]) for event in exported.order_by("pk")] == [
            *(50, 30),
            *(50, 50, 50, 10),
        ]
        assert sorted(
            pk for event in exported for pk in event.data["invoices"]
        ) == sorted(ids[:80] + ids[:160])
    # The hashes and links (the copies' contents are not their snapshot's).
    for chain in audit_verify.chains_of():
        assert audit_verify._walk(chain, audit_verify.ChainResult(chain)) is None


def test_the_floor_writes_the_same_rows(client):
    """The benchmark compares like with like: the floor's file has the
    export's rows (its values unformatted)."""
    membership = seed(60)
    client.force_login(membership.user)
    _, _, size = export_floor(membership.supplier)
    assert size > 0
    with scopes_disabled():
        response = client.get(URL, {"format": pipeline.CSV_UTF8})
        lines = b"".join(response.streaming_content).count(b"\r\n")
    assert lines == 1 + 60
