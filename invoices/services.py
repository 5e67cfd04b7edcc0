"""Writes for invoices: drafts, issue, copy and correction, and the staff's
and supplier's actions. Status changes go through ``invoices.workflow``."""

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.emails import email_send_template
from accounts.models import User
from accounts.notifications import Notification, recipients_wanting
from invoices.audit import event_append, events_append
from invoices.deadlines import payment_deadline
from invoices.duties import invoice_conflict_check, invoice_in_conflict
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceLine,
    InvoicePdf,
    InvoiceStatus,
    InvoiceTaxSummary,
    PdfStatus,
    ReceiptCounter,
    ReturnReason,
    ReturnSeverity,
)
from invoices.pdf import render_invoice_pdf
from invoices.signals import invoices_decided
from invoices.snapshot import content_hash, invoice_snapshot
from invoices.tax import (
    amount_limit_problems,
    invoice_totals,
    line_amount,
    line_sign_problem,
    negative_total_problems,
)
from invoices.withholding import (
    corporation_problem,
    invoice_withholding,
    withholding_problems,
)
from invoices.workflow import TransitionError, invoice_lock, invoice_transition
from municipality.selectors import staff_for_department
from partners.models import BankAccount, Connection, Supplier
from partners.selectors import supplier_users_for

# Fields of an invoice a supplier fills in (the rest is the city's or derived).
DRAFT_FIELDS = (
    "number",
    "issue_date",
    "transaction_date",
    "transaction_end_date",
    "due_date",
    "subject",
    "notes",
    "price_basis",
    "withholding_kind",
)
LINE_FIELDS = (
    "description",
    "quantity",
    "unit",
    "unit_price",
    "tax_category",
    "note",
)

REMINDER_INTERVAL = timedelta(hours=24)
NUMBER_TAKEN = _("この請求書番号はすでに使われています。別の番号にしてください。")
CONNECTION_INACTIVE = _(
    "この宛先には現在請求書を送れません。自治体に確認してください。"
)
CORRECTION_ISSUED = _(
    "この請求書を訂正した請求書はすでに発行されています。"
    "訂正の経緯から最新の請求書を開いてください。"
)


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_category: str
    unit: str = ""
    note: str = ""  # 明細備考
    withholding: bool = False


def invoice_number_suggest(*, supplier: Supplier, today: date | None = None) -> str:
    """The next free number in the supplier's ``YYYYMM-NNNN`` series."""
    prefix = f"{(today or timezone.localdate()):%Y%m}-"
    taken = set(
        Invoice.objects.with_scopes_disabled()
        .filter(supplier=supplier, number__startswith=prefix)
        .values_list("number", flat=True)
    )
    n = len(taken) + 1
    while f"{prefix}{n:04d}" in taken:
        n += 1
    return f"{prefix}{n:04d}"


def _check_connection(connection: Connection, supplier: Supplier) -> None:
    if connection.supplier_id != supplier.pk:
        raise ValidationError(
            {"connection": gettext("宛先を一覧から選び直してください。")}
        )
    if not connection.is_active or not connection.department.is_active:
        raise ValidationError({"connection": CONNECTION_INACTIVE})


def _lines_write(invoice: Invoice, lines: list[LineInput]) -> None:
    """Replace the draft's lines and recompute its totals.

    Raises ``ValidationError`` naming the amount when a line, a per-rate
    sum or a total would not fit its column, when a line's signs do not go
    together, when discounts and returns make a per-rate net or the
    total negative, or when lines subject to withholding are not allowed
    (``invoices.withholding``); nothing is written then.
    """
    rounding = invoice.supplier.tax_rounding
    if problems := [
        gettext("%(row)s行目: %(message)s") % {"row": position, "message": problem}
        for position, line in enumerate(lines, start=1)
        if (
            problem := line_sign_problem(
                quantity=line.quantity, unit_price=line.unit_price
            )
        )
    ]:
        raise ValidationError(problems)
    rows = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description,
            note=line.note,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            tax_category=line.tax_category,
            amount=line_amount(
                quantity=line.quantity, unit_price=line.unit_price, rounding=rounding
            ),
            withholding=line.withholding,
        )
        for position, line in enumerate(lines, start=1)
    ]
    totals = invoice_totals(
        lines=[(r.tax_category, r.amount) for r in rows],
        price_basis=invoice.price_basis,
        rounding=rounding,
    )
    withholding = invoice_withholding(
        lines=[(r.withholding, r.amount) for r in rows],
        kind=invoice.withholding_kind,
        total=totals.total,
    )
    if problems := (
        amount_limit_problems(amounts=[r.amount for r in rows], totals=totals)
        or negative_total_problems(totals)
        or withholding_problems(
            legal_form=invoice.supplier.legal_form,
            price_basis=invoice.price_basis,
            withholding=withholding,
        )
    ):
        raise ValidationError(problems)
    invoice.lines.all().delete()
    invoice.tax_summaries.all().delete()
    for row in rows:
        # The database enforces the line constraints; checking them here too
        # would cost two queries per line (CSV imports have thousands).
        row.full_clean(exclude=["invoice"], validate_constraints=False)
    InvoiceLine.objects.bulk_create(rows)
    InvoiceTaxSummary.objects.bulk_create(
        InvoiceTaxSummary(
            invoice=invoice,
            tax_category=b.category,
            rate=b.rate,
            taxable_amount=b.taxable_amount,
            tax_amount=b.tax_amount,
        )
        for b in totals.buckets
    )
    invoice.subtotal = totals.subtotal
    invoice.tax_total = totals.tax_total
    invoice.total = totals.total
    invoice.withholding_base = withholding.base if withholding else 0
    invoice.withholding_tax = withholding.tax if withholding else 0
    invoice.save(
        update_fields=[
            "subtotal",
            "tax_total",
            "total",
            "withholding_base",
            "withholding_tax",
            "updated_at",
        ]
    )


@transaction.atomic
def invoice_draft_save(
    *,
    supplier: Supplier,
    actor: User,
    connection: Connection,
    fields: dict,
    lines: list[LineInput],
    invoice: Invoice | None = None,
    corrects: Invoice | None = None,
) -> Invoice:
    """Create or update a draft (下書き) with its lines and totals.

    Raises ``ValidationError`` (field errors in Japanese) and nothing is
    saved; ``FrozenInvoiceError`` if ``invoice`` is no longer a draft.
    """
    _check_connection(connection, supplier)
    if invoice is None:
        invoice = Invoice(supplier=supplier, created_by=actor, corrects=corrects)
    else:
        invoice = invoice_lock(invoice)
        if invoice.supplier_id != supplier.pk or not invoice.is_draft:
            raise ValidationError(gettext("下書きではない請求書は編集できません。"))
    invoice.connection = connection
    invoice.department = connection.department
    invoice.municipality = connection.municipality
    for name in DRAFT_FIELDS:
        if name in fields:
            setattr(invoice, name, fields[name])
    invoice.full_clean(exclude=["created_by"])
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as error:
        # Two saves of one number at the same moment: full_clean passed for
        # both, the unique constraint stops the second.
        raise ValidationError({"number": NUMBER_TAKEN}) from error
    _lines_write(invoice, lines)
    return invoice


@transaction.atomic
def invoice_draft_delete(*, invoice: Invoice, actor: User) -> None:
    invoice = invoice_lock(invoice)
    invoice.delete()  # refuses anything but a draft


def _lines_of(invoice: Invoice) -> list[LineInput]:
    return [
        LineInput(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_category=line.tax_category,
            unit=line.unit,
            note=line.note,
            withholding=line.withholding,
        )
        for line in invoice.lines.order_by("position")
    ]


@transaction.atomic
def invoice_copy(*, invoice: Invoice, actor: User, corrects: bool = False) -> Invoice:
    """A new draft with the same content, numbered afresh. With
    ``corrects``, the draft is the correction of a returned invoice (訂正).
    (複製 on the supplier's pages saves nothing: it fills the new-invoice
    form, ``invoices.views.supplier.InvoiceCopyView``.)"""
    if corrects and invoice.status != InvoiceStatus.RETURNED:
        raise ValidationError(gettext("訂正できるのは差戻しされた請求書だけです。"))
    supplier = invoice.supplier
    today = timezone.localdate()
    fields = {name: getattr(invoice, name) for name in DRAFT_FIELDS}
    fields.update(number=invoice_number_suggest(supplier=supplier), issue_date=today)
    return invoice_draft_save(
        supplier=supplier,
        actor=actor,
        connection=invoice.connection,
        fields=fields,
        lines=_lines_of(invoice),
        corrects=invoice if corrects else None,
    )


@transaction.atomic
def invoice_correct(*, invoice: Invoice, actor: User) -> tuple[Invoice, bool]:
    """訂正: the draft that corrects a returned invoice, prefilled with its
    content, and whether it was made now. A returned invoice has at most
    one correction: a second call (a second click) returns the draft
    already made. The returned invoice's row is locked, so two calls at
    the same moment make one draft.

    Raises ``ValidationError`` if the invoice is not returned or its
    correction is already issued; nothing is created then."""
    invoice = invoice_lock(invoice)
    corrections = invoice.corrections.all()
    if corrections.exclude(status=InvoiceStatus.DRAFT).exists():
        raise ValidationError(CORRECTION_ISSUED)
    if (draft := corrections.first()) is not None:
        return draft, False
    return invoice_copy(invoice=invoice, actor=actor, corrects=True), True


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _receipt_number_take(invoice: Invoice, when: datetime) -> str:
    """The next 受付番号 of the municipality's fiscal year, without gaps."""
    fiscal_year = _fiscal_year(timezone.localdate(when))
    counter, _ = ReceiptCounter.objects.select_for_update().get_or_create(
        municipality=invoice.municipality, fiscal_year=fiscal_year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{fiscal_year}-{counter.last:06d}"


def _notify(
    invoice: Invoice,
    *,
    event: str,
    users: QuerySet[User],
    kind: Notification = Notification.INVOICE_EVENTS,
    key: str = "",
) -> None:
    """Mail the ``users`` who want ``kind`` about ``event`` on the invoice
    (template ``invoice_<event>``), once per ``key`` (by default once per
    invoice and event)."""
    email_send_template(
        template=f"invoice_{event}",
        key=key or f"invoice:{invoice.pk}:{event}",
        to=recipients_wanting(users, kind),
        context={"invoice": invoice},
    )


class IssueProblem(enum.StrEnum):
    """A rule a draft breaks that keeps it from being issued. The rules are
    decided here only; the invoice screens (``invoice_issue_problems``) and
    the CSV upload (``csv_issue_problems``) word them for their user."""

    NO_REGISTRATION_NUMBER = enum.auto()
    NO_LINES = enum.auto()
    ZERO_TOTAL = enum.auto()


def supplier_issue_problems(*, supplier: Supplier) -> list[IssueProblem]:
    """What keeps the supplier from issuing any invoice."""
    if not supplier.registration_number:
        return [IssueProblem.NO_REGISTRATION_NUMBER]
    return []


def content_issue_problems(*, has_lines: bool, total: Decimal) -> list[IssueProblem]:
    """What keeps an invoice with these lines and this total from being issued."""
    problems = []
    if not has_lines:
        problems.append(IssueProblem.NO_LINES)
    if total <= 0:
        problems.append(IssueProblem.ZERO_TOTAL)
    return problems


_ISSUE_PROBLEM_MESSAGES = {
    IssueProblem.NO_REGISTRATION_NUMBER: (
        _("適格請求書には登録番号が必要です。事業者情報で登録番号を設定してください。")
    ),
    IssueProblem.NO_LINES: _("明細を1行以上入力してください。"),
    IssueProblem.ZERO_TOTAL: _(
        "請求金額が0円です。明細の数量と単価を確認してください。"
    ),
}


def invoice_issue_problems(invoice: Invoice) -> list[str]:
    """Why the draft cannot be issued yet (empty when it can)."""
    problems = [
        str(_ISSUE_PROBLEM_MESSAGES[problem])
        for problem in (
            *supplier_issue_problems(supplier=invoice.supplier),
            *content_issue_problems(
                has_lines=invoice.lines.exists(), total=invoice.total
            ),
        )
    ]
    # The supplier's legal form may have changed since the draft was saved.
    if (
        not invoice.supplier.is_individual
        and invoice.lines.filter(withholding=True).exists()
    ):
        problems.append(corporation_problem())
    # A correction's own rules (the CSV upload creates no corrections).
    if invoice.corrects_id and invoice.corrects.status != InvoiceStatus.RETURNED:
        problems.append(gettext("訂正元の請求書が差戻しの状態ではありません。"))
    if (
        invoice.corrects_id
        and invoice.corrects.corrections.exclude(pk=invoice.pk)
        .exclude(status=InvoiceStatus.DRAFT)
        .exists()
    ):
        problems.append(
            gettext("この差戻しに対する訂正請求書はすでに発行されています。")
        )
    return problems


BANK_ACCOUNT_GONE = _(
    "選んだ振込先口座は登録されていません（削除または変更された可能性があります）。"
    "画面を更新して、振込先口座を選び直してください。"
)


def _payee_account(invoice: Invoice, chosen: BankAccount | None) -> BankAccount | None:
    """The account the invoice will name: ``chosen`` read again (it must
    still be one of the supplier's), else the supplier's default; ``None``
    only for a supplier with no account at all."""
    accounts = BankAccount.objects.filter(supplier_id=invoice.supplier_id)
    if chosen is None:
        return accounts.filter(is_default=True).first()
    account = accounts.filter(pk=chosen.pk).first()
    if account is None:
        raise ValidationError(str(BANK_ACCOUNT_GONE))
    return account


@transaction.atomic
def invoice_issue(
    *, invoice: Invoice, actor: User, bank_account: BankAccount | None = None
) -> Invoice:
    """Issue a draft (発行): check it, freeze its content, give it the
    city's receipt number and deadline, have its PDF rendered and tell the
    department's staff.

    The frozen content names ``bank_account`` as the payee account (振込先),
    or the supplier's default account when none is given (the CSV and
    JP PINT uploads); the screen makes the supplier choose one. A supplier
    with no account at all may still issue: the invoice then names none,
    and the treasury chooses the account once the supplier registers one
    (or pays by other means).

    Raises ``ValidationError`` listing every problem (also when
    ``bank_account`` is not, or no longer, one of the supplier's),
    ``TransitionError`` if it is no longer a draft (a second click).
    """
    invoice = invoice_lock(invoice)
    if not invoice.is_draft:
        raise TransitionError(invoice, InvoiceStatus.ISSUED)
    _check_connection(invoice.connection, invoice.supplier)
    if problems := invoice_issue_problems(invoice):
        raise ValidationError(problems)
    account = _payee_account(invoice, bank_account)
    now = timezone.now()
    invoice.receipt_number = _receipt_number_take(invoice, now)
    snapshot = invoice_snapshot(invoice, bank_account=account)
    invoice = invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.ISSUED,
        actor=actor,
        receipt_number=invoice.receipt_number,
        received_at=now,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        payment_deadline=payment_deadline(invoice, received_at=now),
    )
    invoice_pdf_request(invoice=invoice)
    _notify(
        invoice,
        event="issued",
        users=staff_for_department(department=invoice.department),
    )
    invoices_decided.send(
        sender=Invoice, invoices=[invoice], status=InvoiceStatus.ISSUED
    )
    return invoice


@transaction.atomic
def invoice_view_record(
    *, invoice: Invoice, actor: User, opens: bool = True
) -> Invoice:
    """Record that city staff looked at the invoice. The first look by the
    department's own staff (``opens``) opens it (開封); every other look —
    later ones, or treasury and administrators reading along — is logged
    as a view. A member of the issuing supplier may read it but never opens
    it (separation of duties): their look is logged as a view, and the
    invoice stays unopened for the department."""
    invoice = invoice_lock(invoice)
    if (
        invoice.status == InvoiceStatus.ISSUED
        and opens
        and not invoice_in_conflict(actor=actor, invoice=invoice)
    ):
        invoice = invoice_transition(
            invoice=invoice,
            to=InvoiceStatus.OPENED,
            actor=actor,
            opened_at=timezone.now(),
            opened_by=actor,
        )
        _notify(
            invoice,
            event="opened",
            users=supplier_users_for(supplier=invoice.supplier),
        )
    elif not invoice.is_draft:
        event_append(invoice=invoice, kind=EventKind.VIEWED, actor=actor)
    return invoice


@transaction.atomic
def invoice_return(
    *,
    invoice: Invoice,
    actor: User,
    reason: ReturnReason,
    explanation: str,
    severity: ReturnSeverity,
) -> Invoice:
    """差戻し: the city refuses the invoice with a stated reason (支払遅延防止法
    6条2項). The invoice stays on record unchanged; the supplier is told.

    Raises ``DutyConflictError`` if ``actor`` belongs to the issuing
    supplier, ``ValidationError``, ``TransitionError``; nothing changes."""
    invoice_conflict_check(actor=actor, invoice=invoice)
    if not explanation.strip():
        raise ValidationError(
            {"explanation": gettext("差戻しの説明を入力してください。")}
        )
    invoice = invoice_view_record(invoice=invoice, actor=actor)
    invoice = invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.RETURNED,
        actor=actor,
        reason=explanation.strip(),
        data={"reason": reason, "severity": severity},
        returned_at=timezone.now(),
        return_reason=reason,
        return_explanation=explanation.strip(),
        return_severity=severity,
    )
    _notify(
        invoice, event="returned", users=supplier_users_for(supplier=invoice.supplier)
    )
    invoices_decided.send(
        sender=Invoice, invoices=[invoice], status=InvoiceStatus.RETURNED
    )
    return invoice


@transaction.atomic
def invoice_approve(*, invoice: Invoice, actor: User, inspection_date: date) -> Invoice:
    """承認（検収）: the department accepts the invoice as proper.

    Raises ``DutyConflictError`` if ``actor`` belongs to the issuing
    supplier, ``ValidationError``, ``TransitionError``; nothing changes."""
    invoice_conflict_check(actor=actor, invoice=invoice)
    if inspection_date > timezone.localdate():
        raise ValidationError(
            {"inspection_date": gettext("検収日に未来の日付は指定できません。")}
        )
    invoice = invoice_view_record(invoice=invoice, actor=actor)
    invoice = invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.APPROVED,
        actor=actor,
        data={"inspection_date": inspection_date.isoformat()},
        approved_at=timezone.now(),
        inspection_date=inspection_date,
    )
    _notify(
        invoice, event="approved", users=supplier_users_for(supplier=invoice.supplier)
    )
    invoices_decided.send(
        sender=Invoice, invoices=[invoice], status=InvoiceStatus.APPROVED
    )
    return invoice


@transaction.atomic
def invoice_withdraw(*, invoice: Invoice, actor: User) -> Invoice:
    """取下げ by the supplier, only while nobody at the city has opened it."""
    return invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.WITHDRAWN,
        actor=actor,
        withdrawn_at=timezone.now(),
    )


@transaction.atomic
def invoice_remind(*, invoice: Invoice, actor: User) -> Invoice:
    """催促: the supplier reminds the department of an unopened invoice, at
    most once a day."""
    invoice = invoice_lock(invoice)
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(gettext("催促できるのは未開封の請求書だけです。"))
    last = invoice.events.filter(kind=EventKind.REMINDED).aggregate(
        last=Max("created_at")
    )["last"]
    if last and timezone.now() - last < REMINDER_INTERVAL:
        raise ValidationError(
            gettext(
                "催促は1日に1回までです。前回の催促から24時間たってから送ってください。"
            )
        )
    event = event_append(invoice=invoice, kind=EventKind.REMINDED, actor=actor)
    _notify(
        invoice,
        event="reminder",
        users=staff_for_department(department=invoice.department),
        kind=Notification.REMINDERS,
        key=f"invoice:{invoice.pk}:reminder:{event.pk}",
    )
    return invoice


@transaction.atomic
def invoices_record_export(
    *, invoices: Iterable[Invoice], actor: User | None, kind: str, data: dict
) -> None:
    """Record an export or download of ``invoices`` in their histories."""
    events_append(invoices=invoices, kind=kind, actor=actor, data=data)


# PDFs ---------------------------------------------------------------------


def invoice_pdf_request(*, invoice: Invoice) -> InvoicePdf:
    """Ask for the invoice's PDF: a task renders it after commit. A PDF
    that is ready stays as it is; a failed one is tried again."""
    from invoices.tasks import invoice_render_pdf_task

    pdf, created = InvoicePdf.objects.get_or_create(
        invoice=invoice, defaults={"municipality_id": invoice.municipality_id}
    )
    if pdf.status == PdfStatus.READY:
        return pdf
    if not created:
        pdf.status = PdfStatus.PENDING
        pdf.error = ""
        pdf.save(update_fields=["status", "error"])
    transaction.on_commit(
        partial(
            invoice_render_pdf_task.delay,
            invoice_id=invoice.pk,
            municipality_id=invoice.municipality_id,
        )
    )
    return pdf


def invoice_pdf_render(*, invoice_id: int) -> InvoicePdf:
    """Render and store the PDF of an issued invoice, once: a second run
    (a retried or duplicated task) finds it ready and does nothing. Each
    attempt is counted, also those that fail."""
    with transaction.atomic():
        pdf = InvoicePdf.objects.select_for_update(of=("self",)).get(
            invoice_id=invoice_id
        )
        if pdf.status == PdfStatus.READY and pdf.file:
            return pdf
        pdf.attempts += 1
        pdf.save(update_fields=["attempts"])
    data = render_invoice_pdf(pdf.invoice)
    with transaction.atomic():
        pdf = InvoicePdf.objects.select_for_update(of=("self",)).get(pk=pdf.pk)
        if pdf.status == PdfStatus.READY and pdf.file:
            return pdf  # a concurrent run finished first
        pdf.file.save("invoice.pdf", ContentFile(data), save=False)
        pdf.sha256 = hashlib.sha256(data).hexdigest()
        pdf.status = PdfStatus.READY
        pdf.error = ""
        pdf.rendered_at = timezone.now()
        pdf.save()
    return pdf


def invoice_pdf_ensure(*, invoice: Invoice) -> InvoicePdf:
    """The issued invoice's stored PDF, rendered and stored here and now if
    the task has not done it yet (or failed): for a download that cannot
    wait. Raises whatever rendering raises."""
    InvoicePdf.objects.get_or_create(
        invoice=invoice, defaults={"municipality_id": invoice.municipality_id}
    )
    return invoice_pdf_render(invoice_id=invoice.pk)


def invoice_pdf_failed(*, invoice_id: int, error: str) -> None:
    """Record that rendering failed for good; admins see it and can retry."""
    InvoicePdf.objects.filter(invoice_id=invoice_id).exclude(
        status=PdfStatus.READY
    ).update(status=PdfStatus.FAILED, error=error[:2000])
