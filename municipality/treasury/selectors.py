"""Reads for the treasury (会計管理者・出納室) and for suppliers' payment
notices. Each takes the municipality or supplier it reads for; the
django-scopes scope is the safety net behind these filters."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThan
from django.shortcuts import get_object_or_404
from django.utils import timezone

from invoices.models import Invoice, InvoiceStatus, WithholdingKind
from invoices.withholding import FILING_THRESHOLD
from municipality.fiscal import FIRST_MONTH
from municipality.models import (
    BatchStatus,
    CreditOutcome,
    IncomingCredit,
    Municipality,
    PayeeChoice,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    Reconciliation,
    TreasurySettings,
)
from municipality.treasury.zengin import transfer_fee
from partners.models import BankAccount, Supplier

# The account fields that make two invoices' transfers one.
ACCOUNT_KEY = (
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "holder_kana",
)


def treasury_settings_get(*, municipality: Municipality) -> TreasurySettings | None:
    return TreasurySettings.objects.filter(municipality=municipality).first()


# Payables (支払対象の請求書) ------------------------------------------------


def with_fiscal_year(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """``fiscal_year`` on each invoice, in the same query: its accounting
    record's (written at approval), else — approved before records were
    kept — that of the end of the period it bills (April to March)."""
    period_end = Coalesce("transaction_end_date", "transaction_date")
    return invoices.annotate(
        fiscal_year=Coalesce(
            F("accounting__fiscal_year"),
            ExtractYear(period_end)
            - Case(
                When(LessThan(ExtractMonth(period_end), FIRST_MONTH), then=1),
                default=0,
            ),
        )
    )


def payables_list(*, municipality: Municipality) -> QuerySet[Invoice]:
    """The municipality's approved invoices, nearest payment deadline first
    (so overdue ones lead), each with its 会計年度 and budget code and the
    active batch it is in, if any."""
    active_item = PaymentBatchItem.objects.filter(invoice=OuterRef("pk"), active=True)
    return (
        with_fiscal_year(
            Invoice.objects.filter(
                municipality=municipality, status=InvoiceStatus.APPROVED
            )
        )
        .select_related("supplier", "department", "accounting__budget_code")
        .annotate(
            batch_id=Subquery(active_item.values("batch_id")[:1]),
            batch_number=Subquery(active_item.values("batch__number")[:1]),
        )
        .order_by(F("payment_deadline").asc(nulls_last=True), "pk")
    )


def payables_waiting_count(*, municipality: Municipality) -> int:
    """Approved invoices in no active batch yet."""
    return (
        Invoice.objects.filter(municipality=municipality, status=InvoiceStatus.APPROVED)
        .exclude(batch_items__active=True)
        .count()
    )


def payables_fiscal_years(*, municipality: Municipality) -> list[int]:
    """The 会計年度 of the approved invoices, newest first (the filter's
    choices)."""
    return list(
        with_fiscal_year(
            Invoice.objects.filter(
                municipality=municipality, status=InvoiceStatus.APPROVED
            )
        )
        .order_by("-fiscal_year")
        .values_list("fiscal_year", flat=True)
        .distinct()
    )


def payables_suppliers(*, municipality: Municipality) -> QuerySet[Supplier]:
    """Suppliers with approved invoices in the municipality (the filter's
    choices)."""
    return (
        Supplier.objects.filter(
            invoices__municipality=municipality,
            invoices__status=InvoiceStatus.APPROVED,
        )
        .distinct()
        .order_by("name_kana", "pk")
    )


# Payees (振込先) -------------------------------------------------------------

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
        named = invoice.snapshot.get("bank_account") or {}
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


# Batches -------------------------------------------------------------------


def batch_list(*, municipality: Municipality) -> QuerySet[PaymentBatch]:
    """Every batch of the municipality, newest payment date first, with the
    number and total of its invoices (all of them once cancelled)."""
    return (
        PaymentBatch.objects.filter(municipality=municipality)
        .select_related("created_by")
        .annotate(
            invoice_count=Coalesce(_batch_items_summary(Count("pk")), 0),
            invoice_total=Case(
                # Exported or paid, its notices hold the invoices' total
                # (請求額合計): a few notices are read, not every invoice.
                When(
                    status__in=(BatchStatus.EXPORTED, BatchStatus.PAID),
                    then=Subquery(
                        PaymentNotice.objects.filter(batch=OuterRef("pk"))
                        .order_by()
                        .values("batch")
                        .annotate(value=Sum("amount"))
                        .values("value")
                    ),
                ),
                default=_batch_items_summary(Sum("invoice__total")),
            ),
        )
        .order_by("-payment_date", "-pk")
    )


def _batch_items_summary(aggregate) -> Case:
    """``aggregate`` over the batch's counted items (its active ones, every
    one once cancelled), per batch row: a subquery, so that only the
    batches on the page are summed (a join and GROUP BY would sum every
    batch's thousands of items first). PostgreSQL runs only the branch of
    the batch's status."""

    def summary(items) -> Subquery:
        return Subquery(
            items.order_by().values("batch").annotate(value=aggregate).values("value")
        )

    items = PaymentBatchItem.objects.filter(batch=OuterRef("pk"))
    return Case(
        When(status=BatchStatus.CANCELLED, then=summary(items)),
        default=summary(items.filter(active=True)),
    )


def batch_list_open(*, municipality: Municipality) -> QuerySet[PaymentBatch]:
    """Batches the treasury still has work on (neither paid nor cancelled)."""
    return batch_list(municipality=municipality).exclude(
        status__in=(BatchStatus.PAID, BatchStatus.CANCELLED)
    )


def batch_list_draft(*, municipality: Municipality) -> QuerySet[PaymentBatch]:
    """Batches that invoices can still be added to."""
    return PaymentBatch.objects.filter(
        municipality=municipality, status=BatchStatus.DRAFT
    ).order_by("payment_date", "pk")


def batch_get(*, municipality: Municipality, pk: int) -> PaymentBatch:
    """One batch of the municipality, or 404."""
    return get_object_or_404(
        PaymentBatch.objects.filter(municipality=municipality).select_related(
            "created_by", "approved_by"
        ),
        pk=pk,
    )


def batch_invoices(*, batch: PaymentBatch) -> QuerySet[Invoice]:
    """The batch's invoices: those in it now, or every one it held once it
    is cancelled (for the record)."""
    items = PaymentBatchItem.objects.filter(batch=batch)
    if batch.status != BatchStatus.CANCELLED:
        items = items.filter(active=True)
    return (
        Invoice.objects.filter(
            municipality_id=batch.municipality_id,
            pk__in=items.values("invoice_id"),
        )
        .select_related(
            "supplier", "department", "connection", "accounting__budget_code"
        )
        .prefetch_related("tax_summaries")
        .order_by("supplier__name_kana", "supplier_id", "receipt_number", "pk")
    )


def batch_notices(*, batch: PaymentBatch) -> QuerySet[PaymentNotice]:
    """The batch's payment notices (one per transfer), with their invoices."""
    return (
        PaymentNotice.objects.filter(batch=batch)
        .select_related("supplier")
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=Invoice.objects.select_related("department").order_by(
                    "receipt_number", "pk"
                ),
            )
        )
        .order_by("number")
    )


@dataclass(frozen=True)
class PlannedTransfer:
    """One transfer a batch will make: the invoices of one supplier that
    name the same bank account, paid together."""

    supplier: Supplier
    bank_account: dict
    invoices: tuple[Invoice, ...]
    amount: int
    fee: int
    withholding_tax: int = 0

    @property
    def transfer_amount(self) -> int:
        """差引支払額: the invoices' total less the withholding income tax
        (paid to the tax office, not to the supplier) and the fee."""
        return self.amount - self.withholding_tax - self.fee


def transfers_plan(
    *, invoices: list[Invoice], settings: TreasurySettings
) -> list[PlannedTransfer]:
    """Group ``invoices`` by supplier and by the account each is paid to
    (``payees_of``: the one frozen on the invoice at issue, or the one the
    treasury chose instead); the amount is their sum, less the fee when the
    supplier bears it, and less the withholding income tax (源泉徴収税額)
    of individuals' fees. Ordered by supplier (kana), then account."""
    payees = payees_of(invoices)
    groups: dict[tuple, list[Invoice]] = {}
    accounts: dict[tuple, dict] = {}
    for invoice in invoices:
        account = payees[invoice.pk].account
        group = (invoice.supplier_id, account_key(account))
        groups.setdefault(group, []).append(invoice)
        accounts.setdefault(group, account)
    ordered = sorted(
        groups.items(),
        key=lambda item: (item[1][0].supplier.name_kana, item[0]),
    )
    plan = []
    for (supplier_id, key), members in ordered:
        amount = int(sum(invoice.total for invoice in members))
        withholding = int(sum(invoice.withholding_tax for invoice in members))
        same_bank = key[0] == settings.bank_code
        fee = transfer_fee(
            amount=amount - withholding,
            same_bank=same_bank,
            same_branch=same_bank and key[1] == settings.branch_code,
            settings=settings,
        )
        plan.append(
            PlannedTransfer(
                supplier=members[0].supplier,
                bank_account=dict(accounts[(supplier_id, key)]),
                invoices=tuple(members),
                amount=amount,
                fee=fee,
                withholding_tax=withholding,
            )
        )
    return plan


@dataclass(frozen=True)
class Totals:
    amount: int
    fee: int
    transfer_amount: int
    count: int
    withholding_tax: int = 0


def _totals(rows) -> Totals:
    rows = list(rows)
    return Totals(
        amount=int(sum(row.amount for row in rows)),
        withholding_tax=int(sum(row.withholding_tax for row in rows)),
        fee=int(sum(row.fee for row in rows)),
        transfer_amount=int(sum(row.transfer_amount for row in rows)),
        count=len(rows),
    )


def transfer_totals(transfers) -> tuple[Totals, list[tuple[Supplier, Totals]]]:
    """The batch's totals and each supplier's, for planned transfers and
    stored payment notices alike (both have supplier, amount,
    withholding_tax, fee and transfer_amount)."""
    transfers = list(transfers)
    by_supplier: dict[int, list] = {}
    for transfer in transfers:
        by_supplier.setdefault(transfer.supplier.pk, []).append(transfer)
    return _totals(transfers), [
        (rows[0].supplier, _totals(rows)) for rows in by_supplier.values()
    ]


# Payment notices for suppliers --------------------------------------------


def payment_notice_list_for_supplier(*, supplier: Supplier) -> QuerySet[PaymentNotice]:
    """The supplier's payment notices of paid batches, newest first."""
    return (
        PaymentNotice.objects.filter(supplier=supplier, batch__status=BatchStatus.PAID)
        .select_related("batch", "municipality")
        .annotate(
            invoice_count=Count("invoices"),
            # 入金確認済 by the supplier's reconciliation (one per invoice).
            confirmed_count=Count("invoices__payment_confirmation"),
        )
        .order_by("-batch__payment_date", "-pk")
    )


def payment_notice_get_for_supplier(*, supplier: Supplier, pk: int) -> PaymentNotice:
    return get_object_or_404(
        PaymentNotice.objects.filter(supplier=supplier, batch__status=BatchStatus.PAID)
        .select_related("batch", "municipality")
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=Invoice.objects.select_related(
                    "department", "payment_confirmation"
                ).order_by("receipt_number", "pk"),
            )
        ),
        pk=pk,
    )


# Withholding income tax (支払調書) -------------------------------------------


def withholding_paid_invoices(*, municipality: Municipality, year: int):
    """The municipality's paid invoices with lines subject to withholding
    (源泉徴収), paid in calendar ``year`` (by the payment date of the paid
    batch), by payee."""
    return (
        Invoice.objects.filter(
            municipality=municipality,
            status=InvoiceStatus.PAID,
            withholding_base__gt=0,
            payment_notices__batch__status=BatchStatus.PAID,
            payment_notices__batch__payment_date__year=year,
        )
        .select_related("supplier")
        .distinct()
        .order_by("supplier__name_kana", "supplier_id", "pk")
    )


@dataclass(frozen=True)
class StatementRow:
    """One payee and kind of fee of a year's 支払調書 summary: what was paid
    (支払金額, tax-exclusive, the base of the withholding) and withheld.
    ``payee_amount`` is the payee's 支払金額 over every kind; above
    ``FILING_THRESHOLD`` the city files a 支払調書 for the payee."""

    supplier: Supplier
    kind: str
    amount: int
    withholding_tax: int
    invoice_count: int
    payee_amount: int

    @property
    def kind_label(self) -> str:
        return WithholdingKind(self.kind).label

    @property
    def must_file(self) -> bool:
        return self.payee_amount > FILING_THRESHOLD


def withholding_statement_rows(invoices) -> list[StatementRow]:
    """``invoices`` (``withholding_paid_invoices``) summed per payee and
    kind, payees in kana order, kinds in their fixed order."""
    groups: dict[tuple[int, str], list[Invoice]] = {}
    suppliers: dict[int, Supplier] = {}
    for invoice in invoices:
        suppliers[invoice.supplier_id] = invoice.supplier
        groups.setdefault((invoice.supplier_id, invoice.withholding_kind), []).append(
            invoice
        )
    payee_amounts: dict[int, int] = {}
    for (supplier_id, _kind), members in groups.items():
        payee_amounts[supplier_id] = payee_amounts.get(supplier_id, 0) + int(
            sum(invoice.withholding_base for invoice in members)
        )
    order = WithholdingKind.values
    return [
        StatementRow(
            supplier=suppliers[supplier_id],
            kind=kind,
            amount=int(sum(invoice.withholding_base for invoice in members)),
            withholding_tax=int(sum(invoice.withholding_tax for invoice in members)),
            invoice_count=len(members),
            payee_amount=payee_amounts[supplier_id],
        )
        for (supplier_id, kind), members in sorted(
            groups.items(),
            key=lambda item: (
                suppliers[item[0][0]].name_kana,
                item[0][0],
                order.index(item[0][1]),
            ),
        )
    ]


# Remittance data (取引明細情報) ----------------------------------------------


def _remittance_notices(notices) -> QuerySet[PaymentNotice]:
    return (
        notices.select_related("batch", "municipality")
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=Invoice.objects.select_related("department").order_by(
                    "receipt_number", "pk"
                ),
            )
        )
        .order_by("batch__payment_date", "number", "pk")
    )


def remittance_notices_for_supplier(
    *, supplier: Supplier, date_from, date_to
) -> QuerySet[PaymentNotice]:
    """The supplier's notices of paid batches whose payment date lies in
    ``date_from``..``date_to`` (both included), oldest first, with their
    invoices."""
    return _remittance_notices(
        PaymentNotice.objects.filter(
            supplier=supplier,
            batch__status=BatchStatus.PAID,
            batch__payment_date__range=(date_from, date_to),
        )
    )


def remittance_notices_for_municipality(
    *, municipality: Municipality, date_from=None, date_to=None, batch=None
) -> QuerySet[PaymentNotice]:
    """The municipality's notices: of one batch (exported or paid), or of
    the paid batches of a period, with their invoices."""
    notices = PaymentNotice.objects.filter(municipality=municipality)
    if batch is not None:
        notices = notices.filter(
            batch=batch, batch__status__in=(BatchStatus.EXPORTED, BatchStatus.PAID)
        )
    else:
        notices = notices.filter(
            batch__status=BatchStatus.PAID,
            batch__payment_date__range=(date_from, date_to),
        )
    return _remittance_notices(notices)


# Reconciliation of incoming payments (売掛金消込) ----------------------------


def reconciliation_list_for_supplier(*, supplier: Supplier):
    """The supplier's uploads, newest first, with their credits counted by
    outcome."""

    def counted(outcome):
        return Count("credits", filter=Q(credits__outcome=outcome))

    return (
        Reconciliation.objects.filter(supplier=supplier)
        .select_related("created_by")
        .annotate(
            credit_count=Count("credits"),
            matched_count=counted(CreditOutcome.MATCHED),
            ambiguous_count=counted(CreditOutcome.AMBIGUOUS),
            unmatched_count=counted(CreditOutcome.UNMATCHED),
        )
        .order_by("-created_at", "-pk")
    )


def reconciliation_get_for_supplier(*, supplier: Supplier, pk: int):
    return get_object_or_404(Reconciliation.objects.filter(supplier=supplier), pk=pk)


def reconciliation_credits(*, reconciliation) -> list:
    """The upload's credits in file order, each with its notices (and their
    invoices) and, for an ambiguous one, ``option_notices``: a list of
    notice lists, one per option. A fixed number of queries."""
    credits = list(
        reconciliation.credits.prefetch_related(
            Prefetch(
                "notices",
                queryset=PaymentNotice.objects.select_related(
                    "batch", "municipality"
                ).prefetch_related("invoices"),
            )
        ).order_by("row", "pk")
    )
    ids = {i for credit in credits for option in credit.options for i in option}
    by_id = {
        notice.pk: notice
        for notice in PaymentNotice.objects.filter(
            pk__in=ids, supplier_id=reconciliation.supplier_id
        ).select_related("batch", "municipality")
    }
    for credit in credits:
        credit.option_notices = [
            [by_id[i] for i in option if i in by_id] for option in credit.options
        ]
    return credits


def reconciliation_credit_get(*, reconciliation, pk: int):
    return get_object_or_404(
        IncomingCredit.objects.filter(
            reconciliation=reconciliation, supplier_id=reconciliation.supplier_id
        ),
        pk=pk,
    )
