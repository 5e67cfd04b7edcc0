"""Writes for the treasury (会計管理者・出納室): its settings and payment
batches, from creation through the Zengin export to payment (with the
suppliers' payment notices) or cancellation.

Invoice statuses change only through ``invoices.workflow``, batch statuses
only through ``municipality.batch_workflow`` (which writes the move's
events); every other step on a batch is appended to its invoices' history
too. Each service locks the batch row and checks its status again, so a
second click or a colleague acting at the same moment changes nothing
twice.
"""

import csv
import hashlib
import io
import secrets
from datetime import date
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from weasyprint import HTML

from accounts.emails import email_send_template
from accounts.notifications import Notification, recipients_wanting
from accounts.spreadsheets import csv_cell
from invoices.audit import (
    events_append,
    field_changes,
    field_values,
    settings_event_append,
)
from invoices.duties import DutyConflictError, invoices_in_conflict
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceStatus,
    SettingsAction,
    SettingsEventKind,
    TaxCategory,
)
from invoices.pdf import STATIC_BASE, StaticOnlyFetcher
from invoices.signals import invoices_decided
from municipality.batch_workflow import (
    batch_can_move,
    batch_lock,
    batch_status_error,
    batch_step,
    batch_transition,
    batch_transition_check,
    date_ja,
)
from municipality.models import (
    BatchStatus,
    Municipality,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    TreasurySettings,
)
from municipality.selectors_treasury import (
    batch_invoices,
    batch_notices,
    transfers_plan,
    treasury_settings_get,
)
from municipality.zengin import (
    Originator,
    Transfer,
    ZenginError,
    bank_business_day,
    zengin_file,
)
from partners.selectors import supplier_users_for

# Batch steps that change no invoice status (added, removed, approved,
# cancelled before export); the event's reason says which step it was.
BATCH_STEP = EventKind.BATCH

NO_SETTINGS = (
    "会計の設定（委託者コード・支払口座）がまだありません。"
    "自治体管理者に「会計の設定」の登録を依頼してください。"
)
SELF_APPROVAL = (
    "支払バッチを作成した人は、自分で承認できません。"
    "別の会計担当者に承認を依頼してください。"
)
IN_OTHER_BATCH = (
    "請求書 {number}（受付番号 {receipt}）はすでに別の支払バッチ{batch}に入っています。"
    "そのバッチから外してから追加してください。"
)
CANCEL_REASON_REQUIRED = "取消の理由を入力してください。"


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


def _conflicts_refuse(batch: PaymentBatch, invoices, *, actor, refusal: str) -> None:
    """Separation of duties: nobody approves, exports or marks paid a batch
    paying a supplier they belong to. Raises ``DutyConflictError`` naming
    each such invoice."""
    if conflicts := invoices_in_conflict(actor=actor, invoices=invoices):
        raise DutyConflictError(
            [_conflict_batch(batch, invoice, refusal) for invoice in conflicts]
        )


def _settings_require(municipality: Municipality) -> TreasurySettings:
    settings = treasury_settings_get(municipality=municipality)
    if settings is None:
        raise ValidationError(NO_SETTINGS)
    return settings


# Settings ------------------------------------------------------------------


# Every field of the settings is audited: the account debited and the fees
# decide where money goes, ``four_eyes`` whether a second person checks it.
TREASURY_AUDITED_FIELDS = tuple(
    field.name
    for field in TreasurySettings._meta.concrete_fields
    if field.name not in ("id", "municipality", "updated_at")
)


def _settings_record(
    *, settings: TreasurySettings, action: str, before: dict, after: dict, actor
) -> None:
    settings_event_append(
        kind=SettingsEventKind.TREASURY_SETTINGS,
        action=action,
        target_label=str(TreasurySettings._meta.verbose_name),
        changes=field_changes(model=TreasurySettings, before=before, after=after),
        actor=actor,
        municipality_id=settings.municipality_id,
    )


@transaction.atomic
def treasury_settings_save(
    *, municipality: Municipality, values: dict, actor
) -> TreasurySettings:
    """Create or update the municipality's treasury settings with
    ``values`` (field name → value), recording every changed field with its
    value before and after (設定・権限の変更履歴).

    The municipality's row is locked first, as ``batch_create`` locks it, so
    a batch is created either before or after a change of ``four_eyes``.
    Raises ``ValidationError``.
    """
    Municipality.objects.select_for_update().get(pk=municipality.pk)
    settings = (
        TreasurySettings.objects.select_for_update()
        .filter(municipality=municipality)
        .first()
    )
    before = field_values(settings, TREASURY_AUDITED_FIELDS) if settings else {}
    if settings is None:
        settings = TreasurySettings(municipality=municipality)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    _settings_record(
        settings=settings,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        before=before,
        after=field_values(settings, TREASURY_AUDITED_FIELDS),
        actor=actor,
    )
    return settings


@transaction.atomic
def treasury_settings_delete(*, settings: TreasurySettings, actor) -> None:
    """Remove the treasury settings (batches can no longer be made),
    recording what they were."""
    Municipality.objects.select_for_update().get(pk=settings.municipality_id)
    settings = TreasurySettings.objects.select_for_update().get(pk=settings.pk)
    _settings_record(
        settings=settings,
        action=SettingsAction.DELETED,
        before=field_values(settings, TREASURY_AUDITED_FIELDS),
        after={},
        actor=actor,
    )
    settings.delete()


# Batches -------------------------------------------------------------------


def payment_date_problem(day: date, *, today: date) -> str | None:
    """Why ``day`` cannot be a batch's payment date (振込指定日), or None."""
    if day < today:
        return (
            f"支払日 {date_ja(day)} は過ぎています。"
            "今日以降の銀行の営業日を指定してください。"
        )
    if not bank_business_day(day):
        return (
            f"{date_ja(day)} は銀行の休業日です。支払日には銀行の営業日"
            "（土日・祝日・12月31日〜1月3日を除く日）を指定してください。"
        )
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
    *, municipality: Municipality, payment_date: date, actor
) -> PaymentBatch:
    """A new draft batch paying on ``payment_date`` (a bank business day).
    Raises ``ValidationError``."""
    today = timezone.localdate()
    if problem := payment_date_problem(payment_date, today=today):
        raise ValidationError({"payment_date": problem})
    number = _batch_number_take(municipality, today)
    # Read after the municipality's row is locked, so the rule copied is the
    # one in force (settings are saved under the same lock).
    settings = _settings_require(municipality)
    return PaymentBatch.objects.create(
        municipality=municipality,
        number=number,
        payment_date=payment_date,
        four_eyes=settings.four_eyes,
        created_by=actor,
    )


@transaction.atomic
def batch_add_invoices(
    *, batch: PaymentBatch, invoice_ids: list[int], actor
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
        raise batch_status_error(batch, "請求書を追加できません")
    invoices = list(
        Invoice.objects.filter(
            municipality_id=batch.municipality_id, pk__in=invoice_ids
        )
        .select_related("supplier")
        .order_by("pk")
    )
    if len(invoices) != len(set(invoice_ids)):
        raise ValidationError(
            "選んだ請求書の一部が見つかりません。画面を更新して選び直してください。"
        )
    taken = dict(
        PaymentBatchItem.objects.filter(invoice__in=invoices, active=True).values_list(
            "invoice_id", "batch__number"
        )
    )
    conflicts = set(invoices_in_conflict(actor=actor, invoices=invoices))
    problems = []
    for invoice in invoices:
        label = f"請求書 {invoice.number}（受付番号 {invoice.receipt_number}）"
        if invoice in conflicts:
            problems.append(_conflict_add(invoice))
        elif invoice.status != InvoiceStatus.APPROVED:
            problems.append(
                f"{label}は「{invoice.get_status_display()}」です。"
                "支払バッチには承認済の請求書だけを入れられます。"
            )
        elif not invoice.snapshot.get("bank_account"):
            problems.append(
                f"{label}には振込先口座の記載がないため、振込データに入れられません。"
                "取引先に振込先口座を確認し、別の方法（窓口払など）で支払ってください。"
            )
        elif invoice.pk in taken:
            problems.append(_in_other_batch(invoice, taken[invoice.pk]))
        else:
            try:
                with transaction.atomic():
                    PaymentBatchItem.objects.create(
                        batch=batch,
                        municipality_id=batch.municipality_id,
                        invoice=invoice,
                    )
            except IntegrityError:
                # Added to another batch since the check above.
                problems.append(_in_other_batch(invoice, ""))
    if problems:
        raise ValidationError(problems)
    batch_step(
        invoices,
        batch=batch,
        actor=actor,
        reason=f"支払バッチ {batch.number}（支払日 {date_ja(batch.payment_date)}）"
        "に入れました。",
        step="added",
    )
    return invoices


def _in_other_batch(invoice: Invoice, batch_number: str) -> str:
    return IN_OTHER_BATCH.format(
        number=invoice.number,
        receipt=invoice.receipt_number,
        batch=f"（{batch_number}）" if batch_number else "",
    )


@transaction.atomic
def batch_remove_invoice(*, batch: PaymentBatch, invoice_id: int, actor) -> Invoice:
    """Take an invoice out of a draft batch (it stays approved)."""
    batch = batch_lock(batch)
    if batch.status != BatchStatus.DRAFT:
        raise batch_status_error(batch, "請求書を外せません")
    item = (
        PaymentBatchItem.objects.filter(batch=batch, invoice_id=invoice_id, active=True)
        .select_related("invoice")
        .first()
    )
    if item is None:
        raise ValidationError(
            "この請求書はこのバッチに入っていません。画面を更新してください。"
        )
    item.delete()
    batch_step(
        [item.invoice],
        batch=batch,
        actor=actor,
        reason=f"支払バッチ {batch.number} から外しました。",
        step="removed",
    )
    return item.invoice


@transaction.atomic
def batch_approve(*, batch: PaymentBatch, actor) -> PaymentBatch:
    """二重チェック: a treasury user other than the preparer approves a
    draft batch, after which it can be exported but no longer changed.
    Nobody approves a batch paying a supplier they belong to: the second
    pair of eyes must be independent (``DutyConflictError``)."""
    batch = batch_lock(batch)
    batch_transition_check(batch, BatchStatus.APPROVED)
    if batch.created_by_id == actor.pk:
        raise ValidationError(SELF_APPROVAL)
    invoices = list(batch_invoices(batch=batch))
    if not invoices:
        raise ValidationError("請求書の入っていないバッチは承認できません。")
    _conflicts_refuse(batch, invoices, actor=actor, refusal=gettext("承認できません"))
    return batch_transition(batch=batch, to=BatchStatus.APPROVED, actor=actor)


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
def batch_export(*, batch: PaymentBatch, actor) -> PaymentBatch:
    """振込データの作成: write the batch's Zengin 総合振込 file, create one
    payment notice per transfer (its number is the transfer's EDI) and
    schedule every invoice, all in one transaction.

    Raises ``ValidationError`` with every problem (the file's included), in
    which case nothing is stored; ``DutyConflictError`` when ``actor``
    belongs to a supplier the batch pays (exporting is what pays it).
    """
    batch = batch_lock(batch)
    settings = _settings_require(batch.municipality)
    batch_transition_check(batch, BatchStatus.EXPORTED)
    invoices = list(batch_invoices(batch=batch))
    if not invoices:
        raise ValidationError(
            "バッチに請求書がありません。支払対象の請求書を追加してください。"
        )
    _conflicts_refuse(
        batch, invoices, actor=actor, refusal=gettext("振込データを作成できません")
    )
    problems = []
    if problem := payment_date_problem(batch.payment_date, today=timezone.localdate()):
        problems.append(
            f"{problem} このバッチを取り消し、別の支払日で作り直してください。"
        )
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
    for transfer, number in zip(plan, numbers, strict=True):
        notice = PaymentNotice.objects.create(
            batch=batch,
            municipality_id=batch.municipality_id,
            supplier=transfer.supplier,
            number=number,
            bank_account=transfer.bank_account,
            amount=transfer.amount,
            fee=transfer.fee,
            transfer_amount=transfer.transfer_amount,
        )
        notice.invoices.set(transfer.invoices)
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


def batch_zengin_read(*, batch: PaymentBatch, actor) -> bytes:
    """The stored Zengin file of an exported or paid batch, recording the
    download in each invoice's history."""
    if batch.status not in (BatchStatus.EXPORTED, BatchStatus.PAID):
        raise batch_status_error(batch, "振込データをダウンロードできません")
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
def batch_mark_paid(*, batch: PaymentBatch, actor) -> PaymentBatch:
    """支払済: the bank has paid an exported batch. Every invoice becomes
    paid, and after commit each payment notice is rendered and sent.
    Nobody attests the payment of a supplier they belong to
    (``DutyConflictError``)."""
    from municipality.tasks import payment_notice_deliver_task

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
def batch_cancel(*, batch: PaymentBatch, actor, reason: str) -> PaymentBatch:
    """取消 of a batch not yet paid: its invoices leave it and are approved
    again (scheduled ones move back). An exported file stays on the batch
    for the record."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": CANCEL_REASON_REQUIRED})
    # The invoices' events are written there (approved again if scheduled).
    batch = batch_transition(
        batch=batch, to=BatchStatus.CANCELLED, actor=actor, cancel_reason=reason
    )
    PaymentBatchItem.objects.filter(batch=batch, active=True).update(active=False)
    return batch


# 財務会計 CSV ----------------------------------------------------------------

ACCOUNTING_CSV_HEADER = (
    "受付番号",
    "部署コード",
    "部署名",
    "取引先名",
    "支払先コード",
    "登録番号",
    "請求日",
    "取引日",
    "10%対象",
    "10%税額",
    "8%対象",
    "8%税額",
    "非課税等",
    "請求金額",
    "支払日",
    "バッチ番号",
)
_NOT_TAXED = (TaxCategory.EXEMPT, TaxCategory.OUT_OF_SCOPE, TaxCategory.EXPORT)


def _accounting_row(invoice: Invoice, batch: PaymentBatch) -> list[str]:
    taxes = {s.tax_category: s for s in invoice.tax_summaries.all()}
    standard, reduced = taxes.get(TaxCategory.STANDARD), taxes.get(TaxCategory.REDUCED)
    not_taxed = [taxes[c].taxable_amount for c in _NOT_TAXED if c in taxes]
    supplier, addressee = invoice.snapshot["supplier"], invoice.snapshot["addressee"]
    values = [
        invoice.receipt_number,
        addressee["department_code"],
        addressee["department"],
        supplier["name"],
        invoice.connection.payee_code,
        supplier["registration_number"],
        invoice.issue_date,
        invoice.transaction_date,
        standard.taxable_amount if standard else 0,
        standard.tax_amount if standard else 0,
        reduced.taxable_amount if reduced else 0,
        reduced.tax_amount if reduced else 0,
        sum(not_taxed, 0),
        invoice.total,
        batch.payment_date,
        batch.number,
    ]
    return [csv_cell(value) for value in values]


def batch_accounting_csv(*, batch: PaymentBatch, actor) -> bytes:
    """The batch for the city's 財務会計 system: one row per invoice, in the
    encoding of the treasury settings, recorded in each invoice's history.
    A character the encoding lacks becomes ``?`` rather than failing."""
    if batch.status == BatchStatus.CANCELLED:
        raise batch_status_error(batch, "財務会計CSVを出力できません")
    settings = _settings_require(batch.municipality)
    invoices = list(batch_invoices(batch=batch))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ACCOUNTING_CSV_HEADER)
    writer.writerows(_accounting_row(invoice, batch) for invoice in invoices)
    with transaction.atomic():
        events_append(
            invoices=invoices,
            kind=EventKind.EXPORTED,
            actor=actor,
            data={"format": "accounting_csv", "batch": batch.number},
        )
    return out.getvalue().encode(settings.csv_encoding, errors="replace")


# Payment notices (支払通知) ---------------------------------------------------


def payment_notice_pdf_html(notice: PaymentNotice) -> str:
    invoices = notice.invoices.select_related("department").order_by(
        "receipt_number", "pk"
    )
    return render_to_string(
        "municipality/pdf/payment_notice.html",
        {
            "notice": notice,
            "batch": notice.batch,
            "municipality": notice.municipality,
            "invoices": invoices,
        },
    )


def render_payment_notice_pdf(notice: PaymentNotice) -> bytes:
    """The notice as an A4 PDF, styled and fetched like the invoice PDF."""
    return HTML(
        string=payment_notice_pdf_html(notice),
        base_url=STATIC_BASE,
        url_fetcher=StaticOnlyFetcher(),
    ).write_pdf()


def _notice_lock(notice_id: int) -> PaymentNotice:
    return (
        PaymentNotice.objects.select_for_update(of=("self",))
        .select_related("batch", "municipality", "supplier")
        .get(pk=notice_id)
    )


def payment_notice_deliver(*, notice_id: int) -> PaymentNotice:
    """Render the notice's PDF and email its supplier, each once: a retried
    or duplicated task finds the PDF stored and the email sent."""
    with transaction.atomic():
        notice = _notice_lock(notice_id)
        if notice.pdf and notice.sent_at:
            return notice
    if not notice.pdf:
        data = render_payment_notice_pdf(notice)
        with transaction.atomic():
            notice = _notice_lock(notice_id)
            if not notice.pdf:  # else a concurrent run stored it first
                notice.pdf.save(
                    f"{notice.municipality_id}/{notice.number}-{secrets.token_hex(8)}.pdf",
                    ContentFile(data),
                    save=False,
                )
                notice.save(update_fields=["pdf"])
    with transaction.atomic():
        notice = _notice_lock(notice_id)
        if notice.sent_at is None:
            email_send_template(
                template="payment_notice",
                key=f"payment_notice:{notice.pk}",
                to=recipients_wanting(
                    supplier_users_for(supplier=notice.supplier),
                    Notification.PAYMENT_NOTICES,
                ),
                context={"notice": notice, "batch": notice.batch},
                attachment=(notice.pdf.name, f"支払通知_{notice.number}.pdf"),
            )
            notice.sent_at = timezone.now()
            notice.save(update_fields=["sent_at"])
    return notice
