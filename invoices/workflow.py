"""The only code that changes an invoice's status.

``TRANSITIONS`` is the whole state machine (see DESIGN.md); a move not in it
raises ``TransitionError``. Each move locks the invoice row, checks the
state again, saves and appends the audit event in one transaction, so two
people acting at the same moment end in one consistent state.
"""

import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from invoices.audit import event_append, events_append_rows, events_write
from invoices.copying import rows_insert
from invoices.duties import (
    DutyConflictError,
    invoice_in_conflict,
    invoice_move_conflict_message,
    invoices_in_conflict,
)
from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.models.invoice import WORKFLOW_FIELDS
from municipality.audit import canonical_json, chain_actor_label

S = InvoiceStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.ISSUED}),
    S.ISSUED: frozenset({S.OPENED, S.WITHDRAWN}),
    S.OPENED: frozenset({S.RETURNED, S.APPROVED}),
    S.APPROVED: frozenset({S.SCHEDULED}),
    S.SCHEDULED: frozenset({S.PAID, S.APPROVED}),
    S.RETURNED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.PAID: frozenset(),
}

# The city's decisions on an invoice, refused to anyone who belongs to the
# issuing supplier (separation of duties, ``invoices.duties``). Moving a
# scheduled invoice back to approved is not one: it undoes a payment (a
# cancelled batch), and stopping a payment must stay possible.
CITY_DECISIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (S.ISSUED, S.OPENED),
        (S.OPENED, S.RETURNED),
        (S.OPENED, S.APPROVED),
        (S.APPROVED, S.SCHEDULED),
        (S.SCHEDULED, S.PAID),
    }
)

_EVENTS = {
    S.ISSUED: EventKind.ISSUED,
    S.OPENED: EventKind.OPENED,
    S.RETURNED: EventKind.RETURNED,
    S.APPROVED: EventKind.APPROVED,
    S.WITHDRAWN: EventKind.WITHDRAWN,
    S.SCHEDULED: EventKind.SCHEDULED,
    S.PAID: EventKind.PAID,
}


class TransitionError(Exception):
    """The invoice's status does not allow the move (it may have just been
    changed by someone else)."""

    def __init__(self, invoice: Invoice, to: str):
        self.invoice = invoice
        self.to = to
        super().__init__(
            gettext(
                "この請求書は「%(status)s」のため、「%(to)s」にできません。"
                "画面を更新して状態を確認してください。"
            )
            % {"status": invoice.get_status_display(), "to": S(to).label}
        )


def invoice_lock(invoice: Invoice) -> Invoice:
    """The invoice's row, locked until the transaction ends, read afresh."""
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("municipality", "department", "supplier")
        .get(pk=invoice.pk)
    )


@transaction.atomic
def invoice_transition(
    *,
    invoice: Invoice,
    to: str,
    actor: User | None,
    reason: str = "",
    data: dict | None = None,
    **fields,
) -> Invoice:
    """Move ``invoice`` to ``to``, setting ``fields`` with it, and record
    the event. Raises ``TransitionError``, or ``DutyConflictError`` when
    ``actor`` belongs to the issuing supplier and the move is one of the
    city's decisions."""
    locked = invoice_lock(invoice)
    if to not in TRANSITIONS[locked.status]:
        raise TransitionError(locked, to)
    if (locked.status, to) in CITY_DECISIONS and invoice_in_conflict(
        actor=actor, invoice=locked
    ):
        raise DutyConflictError(invoice_move_conflict_message(locked, to))
    from_status = locked.status
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    event_append(
        invoice=locked,
        kind=_EVENTS[to],
        actor=actor,
        from_status=from_status,
        to_status=to,
        reason=reason,
        data=data,
    )
    return locked


@dataclass(frozen=True)
class Move:
    """One invoice's part of ``invoices_transition``: its event's reason and
    data."""

    invoice_id: int
    reason: str = ""
    data: dict = field(default_factory=dict)


@transaction.atomic
def invoices_transition(
    *, moves: list[Move], to: str, actor: User | None, **fields
) -> list[Invoice]:
    """``invoice_transition`` for many invoices at once (a payment batch's
    thousands), with the same rules and errors, in a fixed number of
    queries: the rows are locked together, checked in the order given (the
    first refused move raises, as a loop would), updated with one
    ``UPDATE`` and their events chained in bulk."""
    if not moves:
        return []
    if not set(fields) <= WORKFLOW_FIELDS:
        extra = sorted(set(fields) - WORKFLOW_FIELDS)
        raise ValueError(f"not workflow fields: {extra}")
    ids = [move.invoice_id for move in moves]
    locked = (
        Invoice.objects.select_for_update()
        # What the checks and the events read (the messages of a refusal
        # load the rest); the snapshot is the heaviest column by far.
        .only("status", "municipality_id", "supplier_id", "number", "content_hash")
        .order_by("pk")  # one locking order: two batches never deadlock
        .in_bulk(ids)
    )
    rows = [locked[pk] for pk in ids]
    for row in rows:
        if to not in TRANSITIONS[row.status]:
            raise TransitionError(row, to)
    decisions = [row for row in rows if (row.status, to) in CITY_DECISIONS]
    if conflicts := invoices_in_conflict(actor=actor, invoices=decisions):
        raise DutyConflictError(invoice_move_conflict_message(conflicts[0], to))
    now = timezone.now()
    Invoice.objects.filter(pk__in=ids).update(status=to, updated_at=now, **fields)
    label = chain_actor_label(actor)
    events = []
    for row, move in zip(rows, moves, strict=True):
        events.append(
            InvoiceEvent(
                invoice=row,
                municipality_id=row.municipality_id,
                kind=_EVENTS[to],
                actor=actor,
                actor_label=label,
                from_status=row.status,
                to_status=to,
                reason=move.reason,
                # A JSON round trip, so the hash is computed on what the
                # database returns.
                data=json.loads(canonical_json(move.data)),
                content_hash=row.content_hash,
                created_at=now,
            )
        )
        row.status = row._stored_status = to
        row.updated_at = now
        for name, value in fields.items():
            setattr(row, name, value)
    events_write(events)
    return rows


def invoices_insert(*, invoices: list[Invoice], to: str, actor: User | None) -> None:
    """Insert new invoices, built in memory as drafts, in one statement and
    in status ``to``: as if each had been saved as a draft and moved to
    ``to`` at once, which must be a move of ``TRANSITIONS`` (an upload that
    issues what it creates). Each gets its event, as ``invoice_transition``
    records it. The caller has set the fields that go with the move, and
    inserts the invoices' lines after them."""
    if to != S.DRAFT and to not in TRANSITIONS[S.DRAFT]:
        raise TransitionError(Invoice(status=S.DRAFT), to)
    for invoice in invoices:
        invoice.status = to
    rows_insert(Invoice, invoices)
    for invoice in invoices:
        invoice._stored_status = to  # as ``save`` and ``from_db`` leave it
    if to != S.DRAFT:
        events_append_rows(
            invoices=[
                (invoice.pk, invoice.municipality_id, invoice.content_hash)
                for invoice in invoices
            ],
            kind=_EVENTS[to],
            actor=actor,
            from_status=S.DRAFT,
            to_status=to,
        )
