"""Reads for the treasury (会計管理者・出納室) and for suppliers' payment
notices. Each takes the municipality or supplier it reads for; the
django-scopes scope is the safety net behind these filters."""

from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.shortcuts import get_object_or_404

from invoices.models import Invoice, InvoiceStatus, WithholdingKind
from invoices.withholding import FILING_THRESHOLD
from municipality.models import (
    BatchStatus,
    Municipality,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    TreasurySettings,
)
from municipality.treasury.zengin import transfer_fee
from partners.models import Supplier

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


def payables_list(*, municipality: Municipality) -> QuerySet[Invoice]:
    """The municipality's approved invoices, nearest payment deadline first
    (so overdue ones lead), each with the active batch it is in, if any."""
    active_item = PaymentBatchItem.objects.filter(invoice=OuterRef("pk"), active=True)
    return (
        Invoice.objects.filter(municipality=municipality, status=InvoiceStatus.APPROVED)
        .select_related("supplier", "department")
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


# Batches -------------------------------------------------------------------


def batch_list(*, municipality: Municipality) -> QuerySet[PaymentBatch]:
    """Every batch of the municipality, newest payment date first, with the
    number and total of its invoices (all of them once cancelled)."""
    counted = Q(items__active=True) | Q(status=BatchStatus.CANCELLED)
    return (
        PaymentBatch.objects.filter(municipality=municipality)
        .select_related("created_by")
        .annotate(
            invoice_count=Count("items", filter=counted),
            invoice_total=Sum("items__invoice__total", filter=counted),
        )
        .order_by("-payment_date", "-pk")
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
        .select_related("supplier", "department", "connection")
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


def _account_key(invoice: Invoice) -> tuple[str, ...]:
    account = invoice.snapshot.get("bank_account") or {}
    return tuple(account.get(name, "") for name in ACCOUNT_KEY)


def transfers_plan(
    *, invoices: list[Invoice], settings: TreasurySettings
) -> list[PlannedTransfer]:
    """Group ``invoices`` by supplier and by the bank account frozen on each
    invoice at issue; the amount is their sum, less the fee when the
    supplier bears it, and less the withholding income tax (源泉徴収税額)
    of individuals' fees. Ordered by supplier (kana), then account."""
    groups: dict[tuple, list[Invoice]] = {}
    for invoice in invoices:
        groups.setdefault((invoice.supplier_id, _account_key(invoice)), []).append(
            invoice
        )
    ordered = sorted(
        groups.items(),
        key=lambda item: (item[1][0].supplier.name_kana, item[0]),
    )
    plan = []
    for (_, key), members in ordered:
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
                bank_account=dict(members[0].snapshot.get("bank_account") or {}),
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
        .annotate(invoice_count=Count("invoices"))
        .order_by("-batch__payment_date", "-pk")
    )


def payment_notice_get_for_supplier(*, supplier: Supplier, pk: int) -> PaymentNotice:
    return get_object_or_404(
        PaymentNotice.objects.filter(supplier=supplier, batch__status=BatchStatus.PAID)
        .select_related("batch", "municipality")
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=Invoice.objects.select_related("department").order_by(
                    "receipt_number", "pk"
                ),
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
