"""A payment batch of thousands of invoices: adding, approving, exporting,
paying and cancelling run in a number of queries that does not grow with
the number of invoices (items, notices and events written in bulk), and
still record one event per invoice on an intact chain
(``benchmarks/payment_batch.py`` measures the time against the floor)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.audit_verify import chain_verify
from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.snapshot import (
    bank_account_snapshot,
    content_hash,
    header_snapshot,
    totals_snapshot,
)
from municipality.audit import chain_head_lock
from municipality.models import PaymentBatchItem, PaymentNotice, StaffRole
from municipality.treasury.services.batch_moves import (
    batch_approve,
    batch_cancel,
    batch_export,
    batch_mark_paid,
)
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.factories import (
    ConnectionFactory,
    StaffMembershipFactory,
    SupplierMembershipFactory,
    payment_day_reached,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_bank_account,
    make_settings,
)

pytestmark = pytest.mark.django_db

SUPPLIERS = 3


@pytest.fixture
def treasury(tenant):
    with scopes_disabled():
        # The city's chain exists already (its first event creates it).
        with transaction.atomic():
            chain_head_lock(tenant.municipality.pk)
        make_settings(tenant.municipality, four_eyes=True)
        approver = StaffMembershipFactory(
            municipality=tenant.municipality, role=StaffRole.TREASURY
        ).user
        suppliers = []
        for n in range(SUPPLIERS):
            membership = SupplierMembershipFactory()
            account = make_bank_account(
                membership.supplier, account_number=f"{n + 1000000:07d}"
            )
            suppliers.append(
                (
                    membership,
                    ConnectionFactory(
                        supplier=membership.supplier, department=tenant.department
                    ),
                    bank_account_snapshot(account),
                )
            )
    return tenant, approver, suppliers


def _approved(tenant, suppliers, count, start):
    """``count`` approved invoices as the services leave them (bulk
    written: the services' own tests issue and approve one by one)."""
    now = timezone.now()
    rows = []
    for n in range(start, start + count):
        membership, link, account = suppliers[n % SUPPLIERS]
        invoice = Invoice(
            municipality=tenant.municipality,
            department=tenant.department,
            supplier=membership.supplier,
            connection=link,
            created_by=membership.user,
            status=InvoiceStatus.APPROVED,
            number=f"S-{n:04d}",
            receipt_number=f"R{n:06d}",
            issue_date=now.date(),
            transaction_date=now.date(),
            subtotal=Decimal(1000 + n),
            tax_total=Decimal(100),
            total=Decimal(1100 + n),
            received_at=now,
            approved_at=now,
        )
        invoice.snapshot = {
            **header_snapshot(invoice),
            "bank_account": account,
            "lines": [],
            **totals_snapshot(invoice, [], []),
        }
        invoice.content_hash = content_hash(invoice.snapshot)
        rows.append(invoice)
    with scopes_disabled():
        return [i.pk for i in Invoice.objects.bulk_create(rows)]


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def _batch_lifecycle(treasury, count, start) -> dict[str, int]:
    """Each step's number of queries for a batch of ``count`` invoices."""
    tenant, approver, suppliers = treasury
    ids = _approved(tenant, suppliers, count, start)
    payday = business_day_after(timezone.localdate())
    with scopes_disabled():
        batch = batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
        steps = {
            "add": lambda: batch_add_invoices(
                batch=batch, invoice_ids=ids, actor=tenant.treasury
            ),
            "approve": lambda: batch_approve(batch=batch, actor=approver),
            "export": lambda: batch_export(batch=batch, actor=approver),
        }
        counts = {step: _queries(call) for step, call in steps.items()}
        assert PaymentBatchItem.objects.filter(batch=batch, active=True).count() == (
            count
        )
        assert PaymentNotice.objects.filter(batch=batch).count() == SUPPLIERS
        assert set(
            Invoice.objects.filter(pk__in=ids).values_list("status", flat=True)
        ) == {InvoiceStatus.SCHEDULED}
        scheduled = InvoiceEvent.objects.filter(
            invoice_id__in=ids, kind=EventKind.SCHEDULED
        )
        assert scheduled.count() == count
        links = PaymentNotice.invoices.through.objects
        assert links.filter(paymentnotice__batch=batch).count() == count
        notice = PaymentNotice.objects.filter(batch=batch).order_by("number").first()
        assert set(notice.invoices.values_list("supplier", flat=True)) == {
            notice.supplier_id
        }
        assert (
            notice.number
            in scheduled.filter(invoice__in=notice.invoices.all())[0].reason
        )
        batch = payment_day_reached(batch)
        counts["paid"] = _queries(lambda: batch_mark_paid(batch=batch, actor=approver))
        assert set(
            Invoice.objects.filter(pk__in=ids).values_list("status", flat=True)
        ) == {InvoiceStatus.PAID}
    return counts


def test_a_batchs_queries_do_not_grow_with_its_invoices(treasury):
    few = _batch_lifecycle(treasury, 5, start=0)
    many = _batch_lifecycle(treasury, 50, start=100)
    assert many == few
    assert chain_verify() is None


def test_cancelling_an_exported_batch_does_not_grow_either(treasury):
    tenant, approver, suppliers = treasury
    counts = []
    for count, start in ((5, 0), (50, 100)):
        ids = _approved(tenant, suppliers, count, start)
        with scopes_disabled():
            batch = batch_create(
                municipality=tenant.municipality,
                payment_date=business_day_after(timezone.localdate()),
                actor=tenant.treasury,
            )
            batch_add_invoices(batch=batch, invoice_ids=ids, actor=tenant.treasury)
            batch_approve(batch=batch, actor=approver)
            batch_export(batch=batch, actor=approver)
            counts.append(
                _queries(
                    lambda batch=batch: batch_cancel(
                        batch=batch, actor=approver, reason="支払日の誤り"
                    )
                )
            )
            assert set(
                Invoice.objects.filter(pk__in=ids).values_list("status", flat=True)
            ) == {InvoiceStatus.APPROVED}
    assert counts[0] == counts[1]
    assert chain_verify() is None


def test_a_refused_invoice_among_many_adds_none(treasury):
    tenant, _approver, suppliers = treasury
    ids = _approved(tenant, suppliers, 20, start=0)
    with scopes_disabled():
        Invoice.objects.filter(pk=ids[7]).update(status=InvoiceStatus.PAID)
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        with pytest.raises(ValidationError) as refused:
            batch_add_invoices(batch=batch, invoice_ids=ids, actor=tenant.treasury)
        assert refused.value.messages == [
            "請求書 S-0007（受付番号 R000007）は「支払済」です。"
            "支払バッチには承認済の請求書だけを入れられます。"
        ]
        assert not PaymentBatchItem.objects.filter(batch=batch).exists()
        assert not InvoiceEvent.objects.filter(invoice_id__in=ids).exists()
