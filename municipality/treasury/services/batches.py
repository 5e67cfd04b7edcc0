"""Writes for payment batches before they move: creation, and the invoices
added to and removed from a draft batch.

Invoice statuses change only through ``invoices.workflow``, batch statuses
only through ``municipality.treasury.workflow`` (which writes the move's
events); every other step on a batch is appended to its invoices' history
too. Each service locks the batch row and checks its status again, so a
second click or a colleague acting at the same moment changes nothing
twice.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from invoices.audit import BULK_BATCH
from invoices.duties import invoices_in_conflict
from invoices.models import EventKind, Invoice, InvoiceStatus
from municipality.models import (
    BatchStatus,
    Municipality,
    PaymentBatch,
    PaymentBatchItem,
)
from municipality.treasury.selectors.payables import with_fiscal_year
from municipality.treasury.selectors.payees import payees_of
from municipality.treasury.services.payees import payee_problem_message
from municipality.treasury.services.settings import treasury_settings_require
from municipality.treasury.workflow import (
    batch_lock,
    batch_status_error,
    batch_step,
    date_ja,
)
from municipality.treasury.zengin import bank_business_day

# Batch steps that change no invoice status (added, removed, approved,
# cancelled before export); the event's reason says which step it was.
BATCH_STEP = EventKind.BATCH


def _conflict_add(invoice: Invoice) -> str:
    return gettext(
        "請求書 %(number)s（受付番号 %(receipt)s）は、あなたが所属する取引先"
        " %(supplier)s の請求書のため、支払バッチに入れられません"
        "（職務の分離）。別の会計担当者に追加を依頼してください。"
    ) % {
        "number": invoice.number,
        "receipt": invoice.receipt_number,
        "supplier": invoice.supplier.legal_name,
    }


def payment_date_problem(*, day: date, today: date) -> str | None:
    """Why ``day`` cannot be a batch's payment date (振込指定日), or None."""
    if day < today:
        return gettext(
            "支払日 %(date)s は過ぎています。今日以降の銀行の営業日を指定してください。"
        ) % {"date": date_ja(day)}
    if not bank_business_day(day):
        return gettext(
            "%(date)s は銀行の休業日です。支払日には銀行の営業日"
            "（土日・祝日・12月31日〜1月3日を除く日）を指定してください。"
        ) % {"date": date_ja(day)}
    return None


def _batch_number_take(municipality: Municipality, today: date) -> str:
    """The next number of the year, e.g. ``2026-0007``. The municipality's
    row stays locked until commit, so two batches never get one number."""
    Municipality.objects.select_for_update().get(pk=municipality.pk)
    prefix = f"{today.year}-"
    last = PaymentBatch.objects.filter(
        municipality=municipality, number__startswith=prefix
    ).aggregate(last=Max("number"))["last"]
    n = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{n:04d}"


@transaction.atomic
def batch_create(
    *, municipality: Municipality, payment_date: date, actor: User
) -> PaymentBatch:
    """A new draft batch paying on ``payment_date`` (a bank business day).
    Raises ``ValidationError``."""
    today = timezone.localdate()
    if problem := payment_date_problem(day=payment_date, today=today):
        raise ValidationError({"payment_date": problem})
    number = _batch_number_take(municipality, today)
    # Read after the municipality's row is locked, so the rule copied is the
    # one in force (settings are saved under the same lock).
    settings = treasury_settings_require(municipality)
    return PaymentBatch.objects.create(
        municipality=municipality,
        number=number,
        payment_date=payment_date,
        four_eyes=settings.four_eyes,
        created_by=actor,
    )


@transaction.atomic
def batch_add_invoices(
    *, batch: PaymentBatch, invoice_ids: list[int], actor: User
) -> list[Invoice]:
    """Add approved invoices of the batch's municipality to a draft batch:
    all of them, or none with every problem in the ``ValidationError``.

    An invoice is in at most one active batch; the database constraint
    decides when two people add it to two batches at the same moment. An
    invoice of a supplier ``actor`` belongs to is refused (separation of
    duties).
    """
    batch = batch_lock(batch)
    if batch.status != BatchStatus.DRAFT:
        raise batch_status_error(
            batch,
            gettext(
                "支払バッチ %(number)s は「%(status)s」のため、請求書を追加できません。"
                "画面を更新して状態を確認してください。"
            ),
        )
    # With its 会計年度, in the same query (set-based: a batch never mixes
    # years, whatever the number of invoices).
    invoices = list(
        with_fiscal_year(
            Invoice.objects.filter(
                municipality_id=batch.municipality_id, pk__in=invoice_ids
            )
        )
        .select_related("supplier")
        .order_by("pk")
    )
    if len(invoices) != len(set(invoice_ids)):
        raise ValidationError(
            gettext(
                "選んだ請求書の一部が見つかりません。画面を更新して選び直してください。"
            )
        )
    taken = dict(
        PaymentBatchItem.objects.filter(invoice__in=invoices, active=True).values_list(
            "invoice_id", "batch__number"
        )
    )
    conflicts = set(invoices_in_conflict(actor=actor, invoices=invoices))
    payees = payees_of(invoices)
    problems = []
    for invoice in invoices:
        params = {
            "number": invoice.number,
            "receipt": invoice.receipt_number,
            "status": invoice.get_status_display(),
        }
        if invoice in conflicts:
            problems.append(_conflict_add(invoice))
        elif invoice.status != InvoiceStatus.APPROVED:
            problems.append(
                gettext(
                    "請求書 %(number)s（受付番号 %(receipt)s）は「%(status)s」です。"
                    "支払バッチには承認済の請求書だけを入れられます。"
                )
                % params
            )
        elif payees[invoice.pk].flagged:
            problems.append(
                payee_problem_message(invoice=invoice, payee=payees[invoice.pk])
            )
        elif invoice.pk in taken:
            problems.append(_in_other_batch(invoice, taken[invoice.pk]))
    if not problems:
        problems = _fiscal_year_problems(batch, invoices)
    if not problems:
        problems = _items_add(batch, invoices)
    if problems:
        raise ValidationError(problems)
    batch_step(
        invoices=invoices,
        batch=batch,
        actor=actor,
        reason=gettext("支払バッチ %(number)s（支払日 %(date)s）に入れました。")
        % {"number": batch.number, "date": date_ja(batch.payment_date)},
        step="added",
    )
    return invoices


def _fiscal_year_problems(batch: PaymentBatch, invoices: list[Invoice]) -> list[str]:
    """A batch pays one 会計年度: the year of its first invoices, which it
    takes here. The invoices of another year are refused, each named."""
    years = sorted({invoice.fiscal_year for invoice in invoices})
    if not years:
        return []
    if batch.fiscal_year is None and len(years) > 1:
        return [
            gettext(
                "選んだ請求書に %(years)s 年度の請求書が混ざっています。"
                "支払バッチは会計年度ごとに分けるため、1つの年度の請求書だけを"
                "選んでください（支払対象の一覧は会計年度で絞り込めます）。"
            )
            % {"years": ", ".join(str(year) for year in years)}
        ]
    if batch.fiscal_year is None:
        batch.fiscal_year = years[0]
        batch.save(update_fields=["fiscal_year"])
        return []
    return [
        gettext(
            "請求書 %(number)s（受付番号 %(receipt)s）は %(year)s 年度の請求書です。"
            "支払バッチ %(batch)s は %(batch_year)s 年度の支払のため入れられません。"
            "%(year)s 年度の支払バッチを別に作って入れてください。"
        )
        % {
            "number": invoice.number,
            "receipt": invoice.receipt_number,
            "year": invoice.fiscal_year,
            "batch": batch.number,
            "batch_year": batch.fiscal_year,
        }
        for invoice in invoices
        if invoice.fiscal_year != batch.fiscal_year
    ]


def _items_add(batch: PaymentBatch, invoices: list[Invoice]) -> list[str]:
    """Insert the batch's items in bulk; the problems when some invoice was
    added to another batch since the check (the constraint refused it)."""
    try:
        with transaction.atomic():
            PaymentBatchItem.objects.bulk_create(
                [
                    PaymentBatchItem(
                        batch=batch,
                        municipality_id=batch.municipality_id,
                        invoice=invoice,
                    )
                    for invoice in invoices
                ],
                batch_size=BULK_BATCH,
            )
    except IntegrityError:
        taken = dict(
            PaymentBatchItem.objects.filter(invoice__in=invoices, active=True)
            .exclude(batch=batch)
            .values_list("invoice_id", "batch__number")
        )
        if not taken:
            raise
        return [
            _in_other_batch(invoice, taken[invoice.pk])
            for invoice in invoices
            if invoice.pk in taken
        ]
    return []


def _in_other_batch(invoice: Invoice, batch_number: str) -> str:
    params = {
        "number": invoice.number,
        "receipt": invoice.receipt_number,
        "batch": batch_number,
    }
    if batch_number:
        return (
            gettext(
                "請求書 %(number)s（受付番号 %(receipt)s）はすでに別の支払バッチ"
                "（%(batch)s）に入っています。そのバッチから外してから追加してください。"
            )
            % params
        )
    return (
        gettext(
            "請求書 %(number)s（受付番号 %(receipt)s）はすでに別の支払バッチに"
            "入っています。そのバッチから外してから追加してください。"
        )
        % params
    )


@transaction.atomic
def batch_remove_invoice(
    *, batch: PaymentBatch, invoice_id: int, actor: User
) -> Invoice:
    """Take an invoice out of a draft batch (it stays approved)."""
    batch = batch_lock(batch)
    if batch.status != BatchStatus.DRAFT:
        raise batch_status_error(
            batch,
            gettext(
                "支払バッチ %(number)s は「%(status)s」のため、請求書を外せません。"
                "画面を更新して状態を確認してください。"
            ),
        )
    item = (
        PaymentBatchItem.objects.filter(batch=batch, invoice_id=invoice_id, active=True)
        .select_related("invoice")
        .first()
    )
    if item is None:
        raise ValidationError(
            gettext("この請求書はこのバッチに入っていません。画面を更新してください。")
        )
    item.delete()
    batch_step(
        invoices=[item.invoice],
        batch=batch,
        actor=actor,
        reason=gettext("支払バッチ %(number)s から外しました。")
        % {"number": batch.number},
        step="removed",
    )
    return item.invoice
