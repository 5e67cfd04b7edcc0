"""The payment batch's transition table, walked both ways: every allowed
move records exactly its events, every other move is refused and changes
nothing."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
)
from municipality.treasury.services import batch_moves
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.workflow import (
    BATCH_TRANSITIONS,
    BatchTransitionError,
    batch_transition,
)
from tests.factories import payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

B = BatchStatus
I = InvoiceStatus  # noqa: E741
ALL = list(BatchStatus.values)

# The event each allowed move appends to every invoice of the batch:
# (kind, invoice status before, invoice status after, data["step"]).
EXPECTED = {
    (B.DRAFT, B.APPROVED): (EventKind.BATCH, "", "", "approved"),
    (B.DRAFT, B.EXPORTED): (EventKind.SCHEDULED, I.APPROVED, I.SCHEDULED, None),
    (B.DRAFT, B.CANCELLED): (EventKind.BATCH, "", "", "cancelled"),
    (B.APPROVED, B.EXPORTED): (EventKind.SCHEDULED, I.APPROVED, I.SCHEDULED, None),
    (B.APPROVED, B.CANCELLED): (EventKind.BATCH, "", "", "cancelled"),
    (B.EXPORTED, B.PAID): (EventKind.PAID, I.SCHEDULED, I.PAID, None),
    (B.EXPORTED, B.CANCELLED): (
        EventKind.APPROVED,
        I.SCHEDULED,
        I.APPROVED,
        "cancelled",
    ),
}
# Sorted: a frozenset's order differs between processes (pytest-xdist).
ALLOWED = [(s, t) for s, targets in BATCH_TRANSITIONS.items() for t in sorted(targets)]
FORBIDDEN = [(s, t) for s, t in itertools.product(ALL, ALL) if (s, t) not in ALLOWED]

# The invoices' status while the batch is in each status.
INVOICE_STATUS = {
    B.DRAFT: I.APPROVED,
    B.APPROVED: I.APPROVED,
    B.EXPORTED: I.SCHEDULED,
    B.PAID: I.PAID,
    B.CANCELLED: I.APPROVED,
}


@pytest.fixture(autouse=True)
def _no_scopes():
    with scopes_disabled():
        yield


@pytest.fixture
def batch(tenant):
    """A draft batch (no approval required) holding two approved invoices
    of one supplier."""
    make_settings(tenant.municipality)
    user, connection = make_supplier(tenant.department)
    invoices = [make_approved(tenant, user, connection) for _ in range(2)]
    batch = batch_create(
        municipality=tenant.municipality,
        payment_date=business_day_after(timezone.localdate()),
        actor=tenant.treasury,
    )
    batch_add_invoices(
        batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )
    return batch


def _invoices(batch):
    return Invoice.objects.filter(batch_items__batch=batch).order_by("pk")


def _notice(batch):
    """The payment notice the export stores before the batch moves."""
    invoices = list(_invoices(batch))
    notice = PaymentNotice.objects.create(
        batch=batch,
        municipality_id=batch.municipality_id,
        supplier=invoices[0].supplier,
        number=f"{batch.number}-001",
        bank_account=invoices[0].snapshot["bank_account"],
        amount=sum(i.total for i in invoices),
        fee=0,
        transfer_amount=sum(i.total for i in invoices),
    )
    notice.invoices.set(invoices)


def _put(batch, status):
    """``batch`` and its invoices as they are in ``status`` (written past
    the services, which is what the table is for)."""
    if status in (B.EXPORTED, B.PAID):
        _notice(batch)
    if status == B.CANCELLED:
        PaymentBatchItem.objects.filter(batch=batch).update(active=False)
    PaymentBatch.objects.filter(pk=batch.pk).update(status=status)
    _invoices(batch).update(status=INVOICE_STATUS[status])
    return PaymentBatch.objects.get(pk=batch.pk)


def _fields(to):
    if to == B.EXPORTED:
        return {"zengin_sha256": "0" * 64}
    if to == B.CANCELLED:
        return {"cancel_reason": "支払日の誤り"}
    return {}


def test_the_expected_events_cover_exactly_the_table():
    assert sorted(EXPECTED) == sorted(ALLOWED)


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_every_allowed_move_records_one_event_per_invoice(batch, tenant, start, to):
    batch = _put(batch, start)
    if to == B.EXPORTED:
        _notice(batch)
    if to == B.PAID:
        payment_day_reached(batch)
    actor = tenant.treasury
    before = InvoiceEvent.objects.count()
    moved = batch_transition(batch=batch, to=to, actor=actor, **_fields(to))
    stored = PaymentBatch.objects.get(pk=batch.pk)
    assert (moved.status, stored.status) == (to, to)
    stamp = {
        B.APPROVED: stored.approved_at,
        B.EXPORTED: stored.exported_at,
        B.PAID: stored.paid_at,
        B.CANCELLED: stored.cancelled_at,
    }[to]
    assert stamp is not None
    if to == B.APPROVED:
        assert stored.approved_by == actor
    kind, from_invoice, to_invoice, step = EXPECTED[(start, to)]
    invoices = list(_invoices(batch))
    events = list(InvoiceEvent.objects.order_by("pk")[before:])
    assert len(events) == len(invoices) == 2
    assert sorted(e.invoice_id for e in events) == [i.pk for i in invoices]
    for event in events:
        assert (event.kind, event.from_status, event.to_status) == (
            kind,
            from_invoice,
            to_invoice,
        )
        assert event.actor == actor
        assert event.data["batch"] == batch.number
        assert event.data.get("step") == step
    if to_invoice:
        assert {i.status for i in invoices} == {to_invoice}


def test_cancelling_records_the_reason_in_each_invoices_history(batch, tenant):
    batch_transition(
        batch=batch, to=B.CANCELLED, actor=tenant.treasury, cancel_reason="重複"
    )
    reasons = InvoiceEvent.objects.filter(kind=EventKind.BATCH).values_list(
        "reason", flat=True
    )
    assert f"支払バッチ {batch.number} を取り消しました。理由: 重複" in reasons


@pytest.mark.parametrize(("start", "to"), FORBIDDEN)
def test_every_forbidden_move_is_refused_and_changes_nothing(batch, tenant, start, to):
    batch = _put(batch, start)
    before = InvoiceEvent.objects.count()
    with pytest.raises(BatchTransitionError, match="画面を更新して状態を確認"):
        batch_transition(batch=batch, to=to, actor=tenant.treasury, **_fields(to))
    assert PaymentBatch.objects.get(pk=batch.pk).status == start
    assert InvoiceEvent.objects.count() == before
    assert {i.status for i in _invoices(batch)} == {INVOICE_STATUS[start]}


def test_a_draft_needing_approval_cannot_move_to_exported(batch, tenant):
    PaymentBatch.objects.filter(pk=batch.pk).update(four_eyes=True)
    _notice(batch)
    before = InvoiceEvent.objects.count()
    with pytest.raises(ValidationError, match="まだ承認されていません"):
        batch_transition(
            batch=batch, to=B.EXPORTED, actor=tenant.treasury, **_fields(B.EXPORTED)
        )
    assert PaymentBatch.objects.get(pk=batch.pk).status == B.DRAFT
    assert InvoiceEvent.objects.count() == before


@pytest.mark.parametrize(
    ("start", "service", "refusal"),
    [
        (B.APPROVED, "batch_approve", "承認できません"),
        (B.PAID, "batch_export", "振込データを作成できません"),
        (B.DRAFT, "batch_mark_paid", "支払済にできません"),
        (B.PAID, "batch_cancel", "取り消せません"),
    ],
)
def test_the_services_refuse_a_move_with_their_message(
    batch, tenant, start, service, refusal
):
    batch = _put(batch, start)
    kwargs = {"reason": "理由"} if service == "batch_cancel" else {}
    with pytest.raises(ValidationError) as excinfo:
        getattr(batch_moves, service)(batch=batch, actor=tenant.treasury, **kwargs)
    assert excinfo.value.messages == [
        f"支払バッチ {batch.number} は「{batch.get_status_display()}」のため、"
        f"{refusal}。画面を更新して状態を確認してください。"
    ]
