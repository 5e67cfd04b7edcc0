"""Several invoices at once, all or nothing: まとめて発行 (a supplier's
drafts) and まとめて承認 (a department's opened invoices, with one
inspection date, for recurring small invoices such as utilities and
subscriptions).

Each invoice goes through the service that acts on it alone
(``invoice_issue``, ``invoice_approve``): its own receipt number, status
change, audit event and mail, exactly as one at a time. All of them run in
one transaction; every refusal is collected, named by its invoice, and one
refusal undoes the others (``BulkError``), so nothing is half-done.

The ``*_problems`` functions read only: the confirmation step lists what
would be refused before anyone confirms. The services check everything
again under the rows' locks.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from invoices.duties import invoice_conflict_message, invoice_in_conflict
from invoices.models import Invoice, InvoiceStatus
from invoices.services.decisions import invoice_approve
from invoices.services.drafts import connection_check
from invoices.services.issue import invoice_issue, invoice_issue_problems
from invoices.workflow import TransitionError, invoice_lock


def invoice_label(invoice: Invoice) -> str:
    """How a problem names its invoice: number and subject."""
    if invoice.subject:
        return gettext("請求書 %(number)s（%(subject)s）") % {
            "number": invoice.number,
            "subject": invoice.subject,
        }
    return gettext("請求書 %(number)s") % {"number": invoice.number}


@dataclass(frozen=True)
class BulkProblem:
    """Why one invoice of a bulk action cannot be acted on."""

    invoice: Invoice
    message: str

    def __str__(self) -> str:
        return gettext("%(invoice)s: %(problem)s") % {
            "invoice": invoice_label(self.invoice),
            "problem": self.message,
        }


class BulkError(Exception):
    """A bulk action refused: every problem of every invoice; nothing was
    changed."""

    def __init__(self, problems: Sequence[BulkProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def _problems(invoice: Invoice, error: Exception) -> list[BulkProblem]:
    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
    return [BulkProblem(invoice, message) for message in messages]


def _not_draft() -> str:
    return gettext("下書きではありません（発行済みか、取り下げられています）。")


def invoices_issue_problems(*, invoices: Iterable[Invoice]) -> list[BulkProblem]:
    """What keeps each of the drafts from being issued now."""
    problems = []
    for invoice in invoices:
        if not invoice.is_draft:
            problems.append(BulkProblem(invoice, _not_draft()))
            continue
        try:
            connection_check(connection=invoice.connection, supplier=invoice.supplier)
        except ValidationError as error:
            problems += _problems(invoice, error)
        problems += [
            BulkProblem(invoice, message) for message in invoice_issue_problems(invoice)
        ]
    return problems


@transaction.atomic
def invoices_issue(*, invoices: Sequence[Invoice], actor: User) -> list[Invoice]:
    """Issue every draft of ``invoices`` (one supplier's), in the order
    given, through ``invoice_issue``. Raises ``BulkError`` naming each
    draft that could not be issued and why; then none is issued."""
    issued, problems = [], []
    for invoice in invoices:
        try:
            issued.append(invoice_issue(invoice=invoice, actor=actor))
        except TransitionError:
            problems.append(BulkProblem(invoice, _not_draft()))
        except ValidationError as error:
            problems += _problems(invoice, error)
    if problems:
        raise BulkError(problems)
    return issued


def _approve_problem(invoice: Invoice, actor: User) -> str | None:
    if invoice.status == InvoiceStatus.ISSUED:
        return gettext(
            "まだ開封されていません。開いて内容を確かめてから承認してください。"
        )
    if invoice.status != InvoiceStatus.OPENED:
        return str(TransitionError(invoice, InvoiceStatus.APPROVED))
    if invoice_in_conflict(actor=actor, invoice=invoice):
        return invoice_conflict_message(invoice)
    return None


def invoices_approve_problems(
    *, invoices: Iterable[Invoice], actor: User
) -> list[BulkProblem]:
    """What keeps each invoice from being approved together with the
    others now: only opened invoices (someone has looked at each one), and
    none of a supplier ``actor`` belongs to."""
    return [
        BulkProblem(invoice, problem)
        for invoice in invoices
        if (problem := _approve_problem(invoice, actor))
    ]


@transaction.atomic
def invoices_approve(
    *, invoices: Sequence[Invoice], actor: User, inspection_date: date
) -> list[Invoice]:
    """承認 of every invoice of ``invoices`` with the same inspection date
    (検収日), each through ``invoice_approve`` (its own event and mail).
    Only opened invoices are approved together. Raises ``BulkError``
    naming each invoice that could not be approved and why; then none is
    approved."""
    approved, problems = [], []
    for invoice in invoices:
        locked = invoice_lock(invoice)
        if problem := _approve_problem(locked, actor):
            problems.append(BulkProblem(locked, problem))
            continue
        try:
            approved.append(
                invoice_approve(
                    invoice=locked, actor=actor, inspection_date=inspection_date
                )
            )
        except (ValidationError, TransitionError) as error:
            problems += _problems(locked, error)
    if problems:
        raise BulkError(problems)
    return approved
