"""``benchmarks/payment_batch.py`` at a small size: adding and exporting a
batch run the same number of queries for 120 invoices or 240, and keep
within a generous multiple of the floor (the same items, notices, status
updates and chained events written in bulk)."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from benchmarks import payment_batch
from invoices import audit_verify
from municipality.treasury.services.batch_moves import batch_approve, batch_export
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.municipality.test_treasury_support import business_day_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(monkeypatch):
    monkeypatch.setattr(payment_batch, "SUPPLIERS", 6)
    with scopes_disabled():
        return payment_batch.seed(60 + 120 + 240 + 240)


def _service(municipality, preparer, approver, ids, payday) -> tuple[float, int]:
    """Seconds and queries of adding and exporting (approval apart)."""
    batch = batch_create(municipality=municipality, payment_date=payday, actor=preparer)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as added:
        batch_add_invoices(batch=batch, invoice_ids=ids, actor=preparer)
    seconds = time.perf_counter() - started
    batch_approve(batch=batch, actor=approver)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as exported:
        batch_export(batch=batch, actor=approver)
    return seconds + time.perf_counter() - started, len(added) + len(exported)


def test_add_and_export_in_constant_queries_near_the_floor(seeded):
    municipality, preparer, approver, ids = seeded
    payday = business_day_after(timezone.localdate() + timedelta(days=7))
    with scopes_disabled():
        # The city's first batch creates what later ones find.
        _service(municipality, preparer, approver, ids[:60], payday)
        _, few = _service(municipality, preparer, approver, ids[60:180], payday)
        seconds, many = _service(municipality, preparer, approver, ids[180:420], payday)
        add_s, _, export_s, _ = payment_batch.floor(
            municipality, preparer, ids[420:], payday
        )
    assert many == few
    # Measured: 2.4× at 10,000 invoices (README). Generous here.
    assert seconds < 8 * (add_s + export_s)
    # The hashes and links (the seeded snapshots are not full invoices').
    for chain in audit_verify.chains_of():
        assert audit_verify._walk(chain, audit_verify.ChainResult(chain)) is None
