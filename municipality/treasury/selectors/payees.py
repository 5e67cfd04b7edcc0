"""Payees (振込先): the account each invoice is paid to, and the accounts
the treasury may choose instead."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import JSONField, OuterRef, Subquery
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from invoices.models import Invoice, InvoiceStatus
from municipality.models import Municipality, PayeeChoice
from partners.models import BankAccount

# The account fields that make two invoices' transfers one.
ACCOUNT_KEY = (
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "holder_kana",
)

# An account added or changed this recently is highlighted when the
# treasury chooses it: a new payee account is the usual way to divert a
# payment (invoice fraud).
RECENT_CHANGE = timedelta(days=30)


class PayeeProblem(enum.StrEnum):
    """Why an approved invoice cannot be paid to the account it would be."""

    NONE_NAMED = "none_named"  # the invoice names no account, none chosen
    GONE = "gone"  # that account was changed or removed since


@dataclass(frozen=True)
class Payee:
    """Where an invoice is paid: the treasury's newest choice, else the
    account the invoice names (its frozen snapshot). ``problem`` is empty
    while that account is still one of the supplier's, as registered."""

    account: dict
    choice: PayeeChoice | None
    problem: str

    @property
    def flagged(self) -> bool:
        return bool(self.problem)


def account_key(account: dict | None) -> tuple[str, ...]:
    account = account or {}
    return tuple(account.get(name, "") for name in ACCOUNT_KEY)


def _newest_choices(invoice_ids) -> dict[int, PayeeChoice]:
    choices: dict[int, PayeeChoice] = {}
    for choice in PayeeChoice.objects.filter(invoice_id__in=invoice_ids).order_by("pk"):
        choices[choice.invoice_id] = choice  # the newest wins
    return choices


def with_named_account(invoices):
    """``invoices`` without their snapshot but with the account each names
    (``named_account``): ``payees_of`` needs no more of it, and lists of
    many invoices need not read and decode each whole snapshot."""
    return invoices.defer("snapshot").annotate(
        named_account=KeyTransform("bank_account", "snapshot")
    )


def payee_account() -> Coalesce:
    """The account an invoice is paid to (``Payee.account``) as a query
    expression: the treasury's newest choice, else the account the
    invoice's snapshot names; for sums over many invoices in SQL."""
    newest = PayeeChoice.objects.filter(invoice_id=OuterRef("pk")).order_by("-pk")
    return Coalesce(
        Subquery(newest.values("bank_account")[:1]),
        KeyTransform("bank_account", "snapshot"),
        output_field=JSONField(),
    )


def _named_account(invoice: Invoice) -> dict:
    if "named_account" in invoice.__dict__:
        return invoice.named_account or {}
    return invoice.snapshot.get("bank_account") or {}


def payees_of(invoices) -> dict[int, Payee]:
    """Each invoice's payee by invoice id, in two queries whatever their
    number."""
    invoices = list(invoices)
    choices = _newest_choices([invoice.pk for invoice in invoices])
    registered = {
        (row[0], tuple(row[1:]))
        for row in BankAccount.objects.filter(
            supplier_id__in={invoice.supplier_id for invoice in invoices}
        ).values_list("supplier_id", *ACCOUNT_KEY)
    }
    payees = {}
    for invoice in invoices:
        choice = choices.get(invoice.pk)
        named = _named_account(invoice)
        account = dict(choice.bank_account if choice else named)
        if not account:
            problem = PayeeProblem.NONE_NAMED
        elif (invoice.supplier_id, account_key(account)) not in registered:
            problem = PayeeProblem.GONE
        else:
            problem = ""
        payees[invoice.pk] = Payee(account=account, choice=choice, problem=problem)
    return payees


def payee_invoice_get(*, municipality: Municipality, pk: int) -> Invoice:
    """An issued invoice of the municipality (any status but draft), or
    404: the page where the treasury chooses its payee account."""
    return get_object_or_404(
        Invoice.objects.filter(municipality=municipality)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("supplier", "department"),
        pk=pk,
    )


@dataclass(frozen=True)
class AccountOption:
    """One of the supplier's current accounts, as the treasury may choose
    it; ``recent``: added or changed within ``RECENT_CHANGE``."""

    account: BankAccount
    recent: bool


def payee_options(
    *, invoice: Invoice, now: datetime | None = None
) -> list[AccountOption]:
    """The supplier's current accounts, the default first."""
    since = (now or timezone.now()) - RECENT_CHANGE
    return [
        AccountOption(account=account, recent=account.updated_at >= since)
        for account in BankAccount.objects.filter(
            supplier_id=invoice.supplier_id
        ).order_by("-is_default", "pk")
    ]
