"""The only code that changes a payment batch's status.

``BATCH_TRANSITIONS`` is the batch's whole state machine, shaped like
``invoices.workflow.TRANSITIONS``; a move not in it raises
``BatchTransitionError``. Each move locks the batch row, checks the move
again, stamps its time, saves and appends the invoices' audit events in one
transaction, so two treasury users acting at the same moment end in one
consistent state.

The events of a move go to every invoice of the batch: a step that changes
no invoice status (approved, cancelled before export) is an
``EventKind.BATCH`` event whose ``data["step"]`` names it; the export, the
payment and the cancellation of an exported batch move each invoice through
``invoices.workflow`` (scheduled, paid, approved again).

The services in ``municipality.treasury.services`` check the rules around a
move (who may approve, separation of duties, the Zengin file) and call
``batch_transition`` last.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import User
from invoices.audit import events_append
from invoices.models import EventKind, Invoice, InvoiceStatus
from invoices.workflow import Move, invoices_transition
from municipality.models import BatchStatus, PaymentBatch, PaymentNotice
from municipality.treasury.selectors.batches import batch_invoices

B = BatchStatus

BATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    # A draft goes straight to exported when the batch needs no approval
    # (``PaymentBatch.four_eyes``, see ``batch_transition_check``).
    B.DRAFT: frozenset({B.APPROVED, B.EXPORTED, B.CANCELLED}),
    B.APPROVED: frozenset({B.EXPORTED, B.CANCELLED}),
    B.EXPORTED: frozenset({B.PAID, B.CANCELLED}),
    B.PAID: frozenset(),
    B.CANCELLED: frozenset(),
}

# The message of a refused move, by its target status (whole sentences, so
# each translates on its own; see ``batch_status_error``).
_REFUSALS = {
    B.DRAFT: _(
        "支払バッチ %(number)s は「%(status)s」のため、作成中に戻せません。"
        "画面を更新して状態を確認してください。"
    ),
    B.APPROVED: _(
        "支払バッチ %(number)s は「%(status)s」のため、承認できません。"
        "画面を更新して状態を確認してください。"
    ),
    B.EXPORTED: _(
        "支払バッチ %(number)s は「%(status)s」のため、振込データを作成できません。"
        "画面を更新して状態を確認してください。"
    ),
    B.PAID: _(
        "支払バッチ %(number)s は「%(status)s」のため、支払済にできません。"
        "画面を更新して状態を確認してください。"
    ),
    B.CANCELLED: _(
        "支払バッチ %(number)s は「%(status)s」のため、取り消せません。"
        "画面を更新して状態を確認してください。"
    ),
}

# The moment of each move, stamped by ``batch_transition``.
_STAMPS = {
    B.APPROVED: "approved_at",
    B.EXPORTED: "exported_at",
    B.PAID: "paid_at",
    B.CANCELLED: "cancelled_at",
}


def date_ja(day: date) -> str:
    return gettext("%(year)s年%(month)s月%(day)s日") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def batch_status_error(batch: PaymentBatch, refusal: str) -> ValidationError:
    """What cannot be done with ``batch`` in its status, and what to do:
    ``refusal`` is the whole message, with ``%(number)s`` and ``%(status)s``."""
    return ValidationError(
        refusal % {"number": batch.number, "status": batch.get_status_display()}
    )


class BatchTransitionError(ValidationError):
    """The batch's status does not allow the move (it may have just been
    changed by someone else). A ``ValidationError``, so the treasury pages
    show its message like any other refusal."""

    def __init__(self, batch: PaymentBatch, to: str):
        self.batch = batch
        self.to = to
        super().__init__(batch_status_error(batch, _REFUSALS[to]).message)


def batch_lock(batch: PaymentBatch) -> PaymentBatch:
    """The batch's row, locked until the transaction ends, read afresh."""
    return (
        PaymentBatch.objects.select_for_update(of=("self",))
        .select_related("municipality", "created_by")
        .get(pk=batch.pk)
    )


def batch_transition_check(batch: PaymentBatch, to: str) -> None:
    """Raise unless ``batch`` can move to ``to`` now: ``BatchTransitionError``
    for a move not in the table, ``ValidationError`` for the export of a
    draft that needs approval first. The services call it early, before
    their other checks, so a refused move reads the same everywhere."""
    if to not in BATCH_TRANSITIONS[batch.status]:
        raise BatchTransitionError(batch, to)
    if batch.status == B.DRAFT and to == B.EXPORTED and batch.four_eyes:
        raise ValidationError(
            gettext(
                "支払バッチ %(number)s はまだ承認されていません。"
                "作成者とは別の会計担当者が承認してから、振込データを作成してください。"
            )
            % {"number": batch.number}
        )
    if to == B.PAID and batch_paid_too_early(batch):
        # The payment notice says "お支払いしました": never before the day.
        raise ValidationError(
            gettext(
                "支払バッチ %(number)s の支払日は%(date)sです。"
                "支払日より前に支払済にはできません。"
                "支払日以降に、振込が済んだことを確かめてから支払済にしてください。"
            )
            % {"number": batch.number, "date": date_ja(batch.payment_date)}
        )


def batch_paid_too_early(batch: PaymentBatch) -> bool:
    """The batch's payment date (振込指定日) is still to come."""
    return batch.payment_date > timezone.localdate()


def batch_can_move(batch: PaymentBatch, to: str) -> bool:
    try:
        batch_transition_check(batch, to)
    except ValidationError:
        return False
    return True


@transaction.atomic
def batch_transition(
    *, batch: PaymentBatch, to: str, actor: User | None, **fields
) -> PaymentBatch:
    """Move ``batch`` to ``to``, setting ``fields`` with it (the move's time
    and, when approving, ``approved_by`` are set here), and append the
    move's event to each of its invoices. Raises ``BatchTransitionError`` or
    ``ValidationError`` (``batch_transition_check``).

    Moving to exported needs the batch's payment notices stored first (each
    invoice's event names its notice) and ``zengin_sha256`` set; cancelling
    takes its reason from ``cancel_reason``."""
    locked = batch_lock(batch)
    batch_transition_check(locked, to)
    from_status = locked.status
    # Read before the move: a cancelled batch lists every invoice it held.
    # (The export and the payment go through the notices instead.)
    # Their events need no snapshot, supplier or department.
    invoices = (
        list(
            batch_invoices(batch=locked)
            .select_related(None)
            .prefetch_related(None)
            .defer("snapshot")
        )
        if to in (B.APPROVED, B.CANCELLED)
        else []
    )
    locked.status = to
    setattr(locked, _STAMPS[to], timezone.now())
    if to == B.APPROVED:
        fields["approved_by"] = actor
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", _STAMPS[to], *fields])
    _record(locked, from_status=from_status, invoices=invoices, actor=actor)
    return locked


def _record(
    batch: PaymentBatch,
    *,
    from_status: str,
    invoices: list[Invoice],
    actor: User | None,
) -> None:
    """The events of the move ``batch`` has just made from ``from_status``."""
    if batch.status == B.APPROVED:
        batch_step(
            invoices=invoices,
            batch=batch,
            actor=actor,
            reason=gettext(
                "支払バッチ %(number)s を承認しました（作成者とは別の会計担当者）。"
            )
            % {"number": batch.number},
            step="approved",
        )
    elif batch.status == B.EXPORTED:
        invoices_transition(
            moves=[
                Move(
                    invoice_id,
                    reason=gettext(
                        "支払バッチ %(number)s の振込データを作成しました"
                        "（支払日 %(payment_date)s、支払通知 %(notice)s）。"
                    )
                    % {
                        "number": batch.number,
                        "payment_date": date_ja(batch.payment_date),
                        "notice": notice,
                    },
                    data={
                        "batch": batch.number,
                        "notice": notice,
                        "payment_date": batch.payment_date.isoformat(),
                        "format": "zengin",
                        "sha256": batch.zengin_sha256,
                    },
                )
                for notice, invoice_id in _notice_invoices(batch)
            ],
            to=InvoiceStatus.SCHEDULED,
            actor=actor,
        )
    elif batch.status == B.PAID:
        invoices_transition(
            moves=[
                Move(
                    invoice_id,
                    reason=gettext(
                        "%(payment_date)s に支払いました（支払通知 %(notice)s）。"
                    )
                    % {
                        "payment_date": date_ja(batch.payment_date),
                        "notice": notice,
                    },
                    data={
                        "batch": batch.number,
                        "notice": notice,
                        "payment_date": batch.payment_date.isoformat(),
                    },
                )
                for notice, invoice_id in _notice_invoices(batch)
            ],
            to=InvoiceStatus.PAID,
            actor=actor,
        )
    elif batch.status == B.CANCELLED:
        text = gettext("支払バッチ %(number)s を取り消しました。理由: %(reason)s") % {
            "number": batch.number,
            "reason": batch.cancel_reason,
        }
        if from_status == B.EXPORTED:
            # The invoices were scheduled: they are approved again.
            invoices_transition(
                moves=[
                    Move(
                        invoice.pk,
                        reason=text,
                        data={"batch": batch.number, "step": "cancelled"},
                    )
                    for invoice in invoices
                ],
                to=InvoiceStatus.APPROVED,
                actor=actor,
            )
        else:
            batch_step(
                invoices=invoices,
                batch=batch,
                actor=actor,
                reason=text,
                step="cancelled",
            )


def _notice_invoices(batch: PaymentBatch) -> list[tuple[str, int]]:
    """(notice number, invoice id) of each invoice of the batch's notices,
    in the notices' order and each notice's (as ``batch_notices`` lists
    them), without loading the invoices."""
    links = PaymentNotice.invoices.through.objects.filter(paymentnotice__batch=batch)
    return list(
        links.order_by(
            "paymentnotice__number", "invoice__receipt_number", "invoice_id"
        ).values_list("paymentnotice__number", "invoice_id")
    )


def batch_step(
    *,
    invoices: list[Invoice],
    batch: PaymentBatch,
    actor: User | None,
    reason: str,
    step: str,
) -> None:
    """A batch step that changes no invoice status, in each invoice's
    history; ``step`` says which (added, removed, approved, cancelled)."""
    events_append(
        invoices=invoices,
        kind=EventKind.BATCH,
        actor=actor,
        reason=reason,
        data={"batch": batch.number, "step": step},
    )
