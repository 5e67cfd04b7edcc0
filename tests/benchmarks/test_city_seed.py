"""``make bench``'s seeder and page harness, at a tiny size: the seeded
invoices pass the checks real ones pass, and every page gets a row."""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django_scopes import scopes_disabled

from benchmarks.pages import pages_for, pages_measure, subjects_find
from benchmarks.seed import seed
from invoices.audit_verify import chain_verify
from invoices.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTaxSummary,
)
from invoices.snapshot import content_hash, invoice_content_problem
from municipality.models import (
    AuditChainHead,
    ChainScope,
    Department,
    Municipality,
    PaymentBatch,
    PaymentNotice,
    StaffMembership,
    StaffRole,
)
from partners.models import Connection, Supplier

pytestmark = pytest.mark.django_db

SIZE = 300


@pytest.fixture
def seeded():
    return seed(size=SIZE, suppliers=40, log=lambda text: None)


def test_the_seeder_writes_a_city(seeded):
    with scopes_disabled():
        assert Invoice.objects.count() == seeded.invoices == SIZE
        assert Municipality.objects.count() == 4
        kanoya = Municipality.objects.get(slug="kanoya")
        assert Department.objects.filter(municipality=kanoya).count() == 55
        assert Supplier.objects.count() == 40
        assert not Department.objects.exclude(connections__isnull=False).exists()
        assert Connection.objects.count() >= 115
        for role in StaffRole:
            assert StaffMembership.objects.filter(role=role).exists()
        lines = InvoiceLine.objects.count()
        assert lines == seeded.lines
        assert 2.5 <= lines / SIZE <= 3.5
        assert not Invoice.objects.filter(tax_summaries__isnull=True).exists()
        statuses = Counter(Invoice.objects.values_list("status", flat=True))
        for status in (
            InvoiceStatus.ISSUED,
            InvoiceStatus.OPENED,
            InvoiceStatus.APPROVED,
            InvoiceStatus.PAID,
        ):
            assert statuses[status], statuses
        assert PaymentBatch.objects.count() == seeded.batches > 0
        assert PaymentNotice.objects.count() == seeded.notices > 0
        # Every paid invoice is on exactly one payment notice.
        paid = Invoice.objects.filter(status=InvoiceStatus.PAID)
        assert paid.filter(payment_notices__isnull=True).count() == 0
        assert InvoiceEvent.objects.count() == seeded.events > 3 * SIZE
        # One chain per municipality; together they hold every event.
        heads = AuditChainHead.objects.filter(scope=ChainScope.MUNICIPALITY)
        assert sum(head.count for head in heads) == seeded.events
        assert heads.count() == Municipality.objects.count()
        # The ids continue after the seeded rows.
        if connection.vendor == "postgresql":
            newest = InvoiceTaxSummary.objects.latest("pk").pk
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence("
                    "'invoices_invoicetaxsummary', 'id'))"
                )
                assert cursor.fetchone()[0] == newest + 1


def test_seeded_invoices_pass_the_integrity_checks(seeded):
    with scopes_disabled():
        for invoice in Invoice.objects.prefetch_related("lines", "tax_summaries"):
            assert invoice.content_hash == content_hash(invoice.snapshot)
            assert invoice_content_problem(invoice) is None
        assert chain_verify() is None
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert f"{seeded.events}" in out.getvalue()


def test_a_changed_seeded_invoice_is_caught(seeded):
    """The checks above can fail: a subject changed behind the services'
    back breaks the content check and the chain."""
    with scopes_disabled():
        invoice = Invoice.objects.filter(status=InvoiceStatus.PAID).first()
        Invoice.objects.filter(pk=invoice.pk).update(subject="書き換え")
        invoice.refresh_from_db()
        assert invoice_content_problem(invoice) is not None
        assert chain_verify() is not None


def test_the_harness_measures_every_page(seeded):
    pages = pages_for(subjects_find())
    results = pages_measure(runs=1, log=lambda text: None)
    assert [r.name for r in results] == [p.name for p in pages]
    assert len(results) >= 30
    for result in results:
        assert result.status == 200, (result.name, result.url)
        assert 0 < result.median_ms <= result.p95_ms, result
        assert 3 <= result.queries <= 40, result
        assert result.main_sql
        assert result.floor_ms >= 0
