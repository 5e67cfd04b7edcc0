"""Writes for the moves of payment batches: approval, the Zengin 総合振込
file and its download, payment (after which the suppliers' payment
notices go out) and cancellation, under the same rules as
``municipality.treasury.services.batches`` (statuses through the
workflows, the batch row locked and checked again).
"""

import hashlib
import secrets
from collections.abc import Iterable
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from invoices.audit import BULK_BATCH, events_append
from invoices.duties import DutyConflictError, invoices_in_conflict
from invoices.models import EventKind, Invoice, InvoiceStatus
from invoices.signals import invoices_decided
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    TreasurySettings,
)
from municipality.treasury.selectors.batches import (
    batch_invoices,
    batch_notices,
    transfers_plan,
)
from municipality.treasury.services.batches import payment_date_problem
from municipality.treasury.services.payees import payee_problems
from municipality.treasury.services.settings import treasury_settings_require
from municipality.treasury.workflow import (
    batch_can_move,
    batch_lock,
    batch_status_error,
    batch_transition,
    batch_transition_check,
)
from municipality.treasury.zengin import Originator, Transfer, ZenginError, zengin_file

# Marked here, translated where raised (tests compare the Japanese text).
SELF_APPROVAL = gettext_noop(
    "支払バッチを作成した人は、自分で承認できません。"
    "別の会計担当者に承認を依頼してください。"
)
CANCEL_REASON_REQUIRED = gettext_noop("取消の理由を入力してください。")


def _conflict_batch(batch: PaymentBatch, invoice: Invoice, refusal: str) -> str:
    return gettext(
        "支払バッチ %(batch)s には、あなたが所属する取引先 %(supplier)s の"
        "請求書 %(number)s が入っているため、%(refusal)s（職務の分離）。"
        "別の会計担当者に依頼してください。"
    ) % {
        "batch": batch.number,
        "supplier": invoice.supplier.legal_name,
        "number": invoice.number,
        "refusal": refusal,
    }


def _conflicts_refuse(
    batch: PaymentBatch,
    invoices: Iterable[Invoice],
    *,
    actor: User | None,
    refusal: str,
) -> None:
    """Separation of duties: nobody approves, exports or marks paid a batch
    paying a supplier they belong to. Raises ``DutyConflictError`` naming
    each such invoice."""
    if conflicts := invoices_in_conflict(actor=actor, invoices=invoices):
        raise DutyConflictError(
            [_conflict_batch(batch, invoice, refusal) for invoice in conflicts]
        )


@transaction.atomic
def batch_approve(*, batch: PaymentBatch, actor: User) -> PaymentBatch:
    """二重チェック: a treasury user other than the preparer approves a
    draft batch, after which it can be exported but no longer changed.
    Nobody approves a batch paying a supplier they belong to: the second
    pair of eyes must be independent (``DutyConflictError``)."""
    batch = batch_lock(batch)
    batch_transition_check(batch, BatchStatus.APPROVED)
    if batch.created_by_id == actor.pk:
        raise ValidationError(gettext(SELF_APPROVAL))
    invoices = _payable(batch)
    if not invoices:
        raise ValidationError(gettext("請求書の入っていないバッチは承認できません。"))
    _conflicts_refuse(batch, invoices, actor=actor, refusal=gettext("承認できません"))
    # An account changed since the invoice was added: approve what can be paid.
    if problems := payee_problems(invoices):
        raise ValidationError(problems)
    return batch_transition(batch=batch, to=BatchStatus.APPROVED, actor=actor)


def _payable(batch: PaymentBatch) -> list[Invoice]:
    """The batch's invoices with what paying them reads: their supplier and
    snapshot (its payee account), not their department or tax totals."""
    return list(
        batch_invoices(batch=batch)
        .select_related(None)
        .select_related("supplier")
        .prefetch_related(None)
    )


def batch_can_export(batch: PaymentBatch) -> bool:
    """Approved batches; drafts too when no approval was required when the
    batch was created (``PaymentBatch.four_eyes``)."""
    return batch_can_move(batch, BatchStatus.EXPORTED)


def _originator(settings: TreasurySettings) -> Originator:
    # Bank and branch names are left blank: zengin_file takes them from the
    # Zengin master.
    return Originator(
        code=settings.originator_code,
        name_kana=settings.originator_name_kana,
        bank_code=settings.bank_code,
        bank_name_kana="",
        branch_code=settings.branch_code,
        branch_name_kana="",
        account_type=settings.account_type,
        account_number=settings.account_number,
    )


def _transfer(account: dict, *, amount: int, edi: str) -> Transfer:
    return Transfer(
        bank_code=account.get("bank_code", ""),
        bank_name_kana="",
        branch_code=account.get("branch_code", ""),
        branch_name_kana="",
        account_type=account.get("account_type", ""),
        account_number=account.get("account_number", ""),
        payee_name_kana=account.get("holder_kana", ""),
        amount=amount,
        edi=edi,
    )


@transaction.atomic
def batch_export(*, batch: PaymentBatch, actor: User | None) -> PaymentBatch:
    """振込データの作成: write the batch's Zengin 総合振込 file, create one
    payment notice per transfer (its number is the transfer's EDI) and
    schedule every invoice, all in one transaction.

    Raises ``ValidationError`` with every problem (the file's included), in
    which case nothing is stored; ``DutyConflictError`` when ``actor``
    belongs to a supplier the batch pays (exporting is what pays it).
    """
    batch = batch_lock(batch)
    settings = treasury_settings_require(batch.municipality)
    batch_transition_check(batch, BatchStatus.EXPORTED)
    invoices = _payable(batch)
    if not invoices:
        raise ValidationError(
            gettext("バッチに請求書がありません。支払対象の請求書を追加してください。")
        )
    _conflicts_refuse(
        batch, invoices, actor=actor, refusal=gettext("振込データを作成できません")
    )
    problems = []
    if problem := payment_date_problem(
        day=batch.payment_date, today=timezone.localdate()
    ):
        problems.append(
            gettext(
                "%(problem)s このバッチを取り消し、別の支払日で作り直してください。"
            )
            % {"problem": problem}
        )
    # The supplier may have changed an account since the batch was made.
    if payee_flagged := payee_problems(invoices):
        raise ValidationError(problems + payee_flagged)
    plan = transfers_plan(invoices=invoices, settings=settings)
    numbers = [f"{batch.number}-{n:03d}" for n in range(1, len(plan) + 1)]
    try:
        data = zengin_file(
            originator=_originator(settings),
            payment_date=batch.payment_date,
            transfers=[
                _transfer(t.bank_account, amount=t.transfer_amount, edi=number)
                for t, number in zip(plan, numbers, strict=True)
            ],
            line_ending=settings.line_ending,
        )
    except ZenginError as error:
        problems.extend(error.problems)
    if problems:
        raise ValidationError(problems)
    sha256 = hashlib.sha256(data).hexdigest()
    notices = PaymentNotice.objects.bulk_create(
        [
            PaymentNotice(
                batch=batch,
                municipality_id=batch.municipality_id,
                supplier=transfer.supplier,
                number=number,
                bank_account=transfer.bank_account,
                amount=transfer.amount,
                withholding_tax=transfer.withholding_tax,
                fee=transfer.fee,
                transfer_amount=transfer.transfer_amount,
            )
            for transfer, number in zip(plan, numbers, strict=True)
        ],
        batch_size=BULK_BATCH,
    )
    links = PaymentNotice.invoices.through
    links.objects.bulk_create(
        [
            links(paymentnotice_id=notice.pk, invoice_id=invoice.pk)
            for notice, transfer in zip(notices, plan, strict=True)
            for invoice in transfer.invoices
        ],
        batch_size=BULK_BATCH,
    )
    batch.zengin_file.save(
        f"{batch.municipality_id}/{batch.number}-{secrets.token_hex(8)}.txt",
        ContentFile(data),
        save=False,
    )
    # Each invoice is scheduled there, its event naming its notice.
    return batch_transition(
        batch=batch,
        to=BatchStatus.EXPORTED,
        actor=actor,
        zengin_file=batch.zengin_file.name,
        zengin_sha256=sha256,
    )


def batch_zengin_read(*, batch: PaymentBatch, actor: User | None) -> bytes:
    """The stored Zengin file of an exported or paid batch, recording the
    download in each invoice's history."""
    if batch.status not in (BatchStatus.EXPORTED, BatchStatus.PAID):
        raise batch_status_error(
            batch,
            gettext(
                "支払バッチ %(number)s は「%(status)s」のため、"
                "振込データをダウンロードできません。画面を更新して状態を確認してください。"
            ),
        )
    with batch.zengin_file.open("rb") as f:
        data = f.read()
    with transaction.atomic():
        events_append(
            invoices=batch_invoices(batch=batch),
            kind=EventKind.DOWNLOADED,
            actor=actor,
            data={
                "format": "zengin",
                "batch": batch.number,
                "sha256": batch.zengin_sha256,
            },
        )
    return data


@transaction.atomic
def batch_mark_paid(*, batch: PaymentBatch, actor: User) -> PaymentBatch:
    """支払済: the bank has paid an exported batch. Every invoice becomes
    paid, and after commit each payment notice is rendered and sent.
    Nobody attests the payment of a supplier they belong to
    (``DutyConflictError``)."""
    from municipality.treasury.tasks import payment_notice_deliver_task

    batch = batch_lock(batch)
    batch_transition_check(batch, BatchStatus.PAID)
    _conflicts_refuse(
        batch,
        batch_invoices(batch=batch),
        actor=actor,
        refusal=gettext("支払済にできません"),
    )
    # Every invoice is paid there; then each supplier hears of it.
    batch = batch_transition(batch=batch, to=BatchStatus.PAID, actor=actor)
    paid = []
    for notice in batch_notices(batch=batch):
        paid.extend(notice.invoices.all())
        transaction.on_commit(
            partial(
                payment_notice_deliver_task.delay,
                notice_id=notice.pk,
                municipality_id=batch.municipality_id,
            )
        )
    invoices_decided.send(sender=Invoice, invoices=paid, status=InvoiceStatus.PAID)
    return batch


@transaction.atomic
def batch_cancel(*, batch: PaymentBatch, actor: User, reason: str) -> PaymentBatch:
    """取消 of a batch not yet paid: its invoices leave it and are approved
    again (scheduled ones move back). An exported file stays on the batch
    for the record."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext(CANCEL_REASON_REQUIRED)})
    # The invoices' events are written there (approved again if scheduled).
    batch = batch_transition(
        batch=batch, to=BatchStatus.CANCELLED, actor=actor, cancel_reason=reason
    )
    PaymentBatchItem.objects.filter(batch=batch, active=True).update(active=False)
    return batch
