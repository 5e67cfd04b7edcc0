"""Issuing a draft (発行): what keeps it from being issued, its receipt
number, the payee account it names.
"""

import enum
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import User
from invoices.deadlines import payment_deadline
from invoices.models import CounterpartyName, Invoice, InvoiceStatus, ReceiptCounter
from invoices.services.drafts import (
    DraftRows,
    DraftsError,
    connection_check,
    drafts_insert,
)
from invoices.services.notifications import invoice_notify, invoices_notify_department
from invoices.services.pdf import invoice_pdf_request, invoices_pdf_request
from invoices.signals import invoices_decided
from invoices.snapshot import content_hash, invoice_snapshot
from invoices.withholding import corporation_problem
from invoices.workflow import TransitionError, invoice_lock, invoice_transition
from municipality.models import Municipality
from municipality.selectors import staff_for_department
from partners.models import BankAccount, Supplier


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _receipt_numbers_take(
    municipality: Municipality, when: datetime, count: int
) -> list[str]:
    """The next ``count`` 受付番号 of the municipality's fiscal year, in
    order, without gaps."""
    fiscal_year = _fiscal_year(timezone.localdate(when))
    counter, _ = ReceiptCounter.objects.select_for_update().get_or_create(
        municipality=municipality, fiscal_year=fiscal_year
    )
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"{fiscal_year}-{n:06d}" for n in range(first, counter.last + 1)]


def _receipt_number_take(invoice: Invoice, when: datetime) -> str:
    """The next 受付番号 of the municipality's fiscal year, without gaps."""
    (number,) = _receipt_numbers_take(invoice.municipality, when, 1)
    return number


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


def _counterparty_name_record(invoice: Invoice) -> None:
    """Remember the name the invoice was issued under, for the search by
    取引先 (``invoices.search``); once per name."""
    printed = invoice.snapshot["supplier"]
    CounterpartyName.objects.bulk_create(
        [
            CounterpartyName(
                supplier_id=invoice.supplier_id,
                name=printed["name"],
                name_kana=printed["name_kana"],
                registration_number=printed["registration_number"],
            )
        ],
        ignore_conflicts=True,
    )


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
    connection_check(connection=invoice.connection, supplier=invoice.supplier)
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
    _counterparty_name_record(invoice)
    invoice_pdf_request(invoice=invoice)
    invoice_notify(
        invoice=invoice,
        event="issued",
        users=staff_for_department(department=invoice.department),
    )
    invoices_decided.send(
        sender=Invoice, invoices=[invoice], status=InvoiceStatus.ISSUED
    )
    return invoice


def _built_issue_problems(supplier: Supplier, draft: DraftRows) -> list[str]:
    """``invoice_issue_problems`` of a draft built in memory (a new one
    corrects nothing)."""
    problems = [
        str(_ISSUE_PROBLEM_MESSAGES[problem])
        for problem in (
            *supplier_issue_problems(supplier=supplier),
            *content_issue_problems(
                has_lines=bool(draft.lines), total=draft.invoice.total
            ),
        )
    ]
    if not supplier.is_individual and any(line.withholding for line in draft.lines):
        problems.append(corporation_problem())
    return problems


@transaction.atomic
def invoices_issue_built(
    *, supplier: Supplier, actor: User, drafts: Sequence[DraftRows]
) -> list[Invoice]:
    """Save and issue new drafts built in memory (``drafts_build``, the CSV
    upload): what ``invoice_draft_save`` then ``invoice_issue`` do for each,
    with the supplier's default account as the payee, done for all at once
    (one insert per table, one receipt counter update per municipality,
    the events in one chain append, each department's staff read once).

    Raises ``DraftsError`` naming the first draft that cannot be issued or
    whose number is taken, with every problem of that draft; nothing is
    saved then."""
    for index, draft in enumerate(drafts):
        if problems := _built_issue_problems(supplier, draft):
            raise DraftsError(index, ValidationError(problems))
    invoices = [draft.invoice for draft in drafts]
    if not invoices:
        return []
    account = _payee_account(invoices[0], None)
    now = timezone.now()
    by_municipality: dict[int, list[Invoice]] = {}
    for invoice in invoices:
        by_municipality.setdefault(invoice.municipality_id, []).append(invoice)
    for group in by_municipality.values():
        numbers = _receipt_numbers_take(group[0].municipality, now, len(group))
        for invoice, number in zip(group, numbers, strict=True):
            invoice.receipt_number = number
    for draft in drafts:
        invoice = draft.invoice
        invoice.received_at = now
        invoice.payment_deadline = payment_deadline(invoice, received_at=now)
        invoice.snapshot = invoice_snapshot(
            invoice,
            bank_account=account,
            lines=draft.lines,
            tax_summaries=draft.tax_summaries,
        )
        invoice.content_hash = content_hash(invoice.snapshot)
    drafts_insert(
        supplier=supplier, actor=actor, drafts=drafts, status=InvoiceStatus.ISSUED
    )
    invoices_pdf_request(invoices=invoices)
    # One supplier, issued at once: one printed name for all of them.
    _counterparty_name_record(invoices[0])
    invoices_notify_department(invoices=invoices, event="issued")
    for group in by_municipality.values():
        invoices_decided.send(
            sender=Invoice, invoices=group, status=InvoiceStatus.ISSUED
        )
    return invoices
