"""Payment batches: their lists and pages, their invoices and notices, and
the transfers a batch will make with their totals."""

from dataclasses import dataclass, replace

from django.db.models import (
    Case,
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from invoices.models import Invoice
from municipality.models import (
    BatchStatus,
    Municipality,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    TreasurySettings,
)
from municipality.treasury.selectors.payees import (
    account_key,
    payee_account,
    payees_of,
)
from municipality.treasury.zengin import transfer_fee
from partners.models import Supplier


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


def _batch_invoices_bare(batch: PaymentBatch) -> QuerySet[Invoice]:
    """The batch's invoices, unordered and unjoined: those in it now, or
    every one it held once it is cancelled (for the record)."""
    items = PaymentBatchItem.objects.filter(batch=batch)
    if batch.status != BatchStatus.CANCELLED:
        items = items.filter(active=True)
    return Invoice.objects.filter(
        municipality_id=batch.municipality_id,
        pk__in=items.values("invoice_id"),
    )


def batch_invoices(*, batch: PaymentBatch) -> QuerySet[Invoice]:
    """The batch's invoices (``_batch_invoices_bare``), with their parties,
    in the order the batch lists them."""
    return (
        _batch_invoices_bare(batch)
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


def batch_notice_rows(*, batch: PaymentBatch) -> QuerySet[PaymentNotice]:
    """``batch_notices`` as the batch's page lists them, without their
    invoices (``notice_invoice_numbers`` gives a page's)."""
    return batch_notices(batch=batch).prefetch_related(None)


def notice_invoice_numbers(notices) -> dict[int, list[str]]:
    """The numbers of each notice's invoices by notice id, by receipt
    number: read as pairs in one query, where a prefetch made an
    ``Invoice`` of each of a page's thousand invoices to show its number."""
    numbers: dict[int, list[str]] = {}
    rows = (
        PaymentNotice.invoices.through.objects.filter(
            paymentnotice_id__in=[notice.pk for notice in notices]
        )
        .order_by("invoice__receipt_number", "invoice_id")
        .values_list("paymentnotice_id", "invoice__number")
    )
    for notice_id, number in rows:
        numbers.setdefault(notice_id, []).append(number)
    return numbers


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


def _planned(
    *,
    supplier: Supplier,
    account: dict,
    invoices: tuple,
    amount: int,
    withholding: int,
    settings: TreasurySettings,
) -> PlannedTransfer:
    """One transfer of ``amount`` less ``withholding`` to ``account``, with
    the fee the treasury's settings charge for it."""
    key = account_key(account)
    same_bank = key[0] == settings.bank_code
    return PlannedTransfer(
        supplier=supplier,
        bank_account=dict(account),
        invoices=invoices,
        amount=amount,
        fee=transfer_fee(
            amount=amount - withholding,
            same_bank=same_bank,
            same_branch=same_bank and key[1] == settings.branch_code,
            settings=settings,
        ),
        withholding_tax=withholding,
    )


def transfers_plan(
    *, invoices: list[Invoice], settings: TreasurySettings
) -> list[PlannedTransfer]:
    """Group ``invoices`` by supplier and by the account each is paid to
    (``payees_of``: the one frozen on the invoice at issue, or the one the
    treasury chose instead); the amount is their sum, less the fee when the
    supplier bears it, and less the withholding income tax (源泉徴収税額)
    of individuals' fees. Ordered by supplier (kana), then account; each
    transfer's account as its first invoice names it (``invoices`` come in
    ``batch_invoices`` order)."""
    payees = payees_of(invoices)
    groups: dict[tuple, list[Invoice]] = {}
    for invoice in invoices:
        group = (invoice.supplier_id, account_key(payees[invoice.pk].account))
        groups.setdefault(group, []).append(invoice)
    ordered = sorted(
        groups.items(),
        key=lambda item: (item[1][0].supplier.name_kana, item[0]),
    )
    return [
        _planned(
            supplier=members[0].supplier,
            account=payees[members[0].pk].account,
            invoices=tuple(members),
            amount=int(sum(invoice.total for invoice in members)),
            withholding=int(sum(invoice.withholding_tax for invoice in members)),
            settings=settings,
        )
        for _, members in ordered
    ]


def planned_transfers(
    *, batch: PaymentBatch, settings: TreasurySettings
) -> list[PlannedTransfer]:
    """The transfers ``transfers_plan`` makes of the batch's invoices, in
    its order and with its amounts and fees, summed in SQL: one row per
    supplier and account, not one per invoice, whatever the batch's size.
    Without their invoices, and with the account of any of them
    (``planned_page`` gives a page of them their first invoice's)."""
    rows = (
        _batch_invoices_bare(batch)
        .annotate(account=payee_account())
        .order_by()
        .values("supplier_id", "account")
        .annotate(amount=Sum("total"), withholding=Sum("withholding_tax"))
    )
    # SQLite groups accounts by their JSON text: the same account written
    # twice (a choice, a snapshot) can come as two rows, added up here.
    sums: dict[tuple, list] = {}
    for row in rows:
        group = (row["supplier_id"], account_key(row["account"]))
        figures = sums.setdefault(group, [row["account"] or {}, 0, 0])
        figures[1] += int(row["amount"])
        figures[2] += int(row["withholding"])
    suppliers = Supplier.objects.only("legal_name", "name_kana").in_bulk(
        {supplier_id for supplier_id, _ in sums}
    )
    ordered = sorted(
        sums.items(), key=lambda item: (suppliers[item[0][0]].name_kana, item[0])
    )
    return [
        _planned(
            supplier=suppliers[supplier_id],
            account=account,
            invoices=(),
            amount=amount,
            withholding=withholding,
            settings=settings,
        )
        for (supplier_id, _), (account, amount, withholding) in ordered
    ]


def planned_page(
    transfers: list[PlannedTransfer], *, batch: PaymentBatch
) -> list[tuple[PlannedTransfer, list[str]]]:
    """A page of ``planned_transfers``, each with the numbers of its
    invoices (by receipt number) and the account its first invoice names,
    as ``transfers_plan`` gives them: only the page's suppliers' invoices
    are read."""
    rows = (
        _batch_invoices_bare(batch)
        .filter(supplier_id__in={transfer.supplier.pk for transfer in transfers})
        .annotate(account=payee_account())
        .order_by("receipt_number", "pk")
        .values_list("supplier_id", "number", "account")
    )
    members: dict[tuple, tuple[dict, list[str]]] = {}
    for supplier_id, number, account in rows:
        group = (supplier_id, account_key(account))
        members.setdefault(group, (account or {}, []))[1].append(number)
    page = []
    for transfer in transfers:
        account, numbers = members[
            (transfer.supplier.pk, account_key(transfer.bank_account))
        ]
        page.append((replace(transfer, bank_account=dict(account)), numbers))
    return page


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


def batch_invoice_rows(*, batch: PaymentBatch) -> QuerySet[Invoice]:
    """``batch_invoices`` as the batch's page lists them, a page at a time:
    without the snapshot and the tax summaries, which the list does not
    show."""
    return (
        batch_invoices(batch=batch)
        .select_related(None)
        .select_related("supplier", "department")
        .prefetch_related(None)
        .defer("snapshot")
    )


def _notice_sums():
    zero = Value(0, output_field=DecimalField(max_digits=15, decimal_places=0))
    return {
        name: Coalesce(Sum(name), zero)
        for name in ("amount", "withholding_tax", "fee", "transfer_amount")
    }


def _as_totals(row: dict) -> Totals:
    return Totals(
        amount=int(row["amount"]),
        withholding_tax=int(row["withholding_tax"]),
        fee=int(row["fee"]),
        transfer_amount=int(row["transfer_amount"]),
        count=row["count"],
    )


def batch_notice_totals(*, batch: PaymentBatch) -> Totals:
    """The totals of the batch's payment notices, summed in one query."""
    return _as_totals(
        PaymentNotice.objects.filter(batch=batch).aggregate(
            count=Count("pk"), **_notice_sums()
        )
    )


def batch_notice_supplier_totals(
    *, batch: PaymentBatch, suppliers: list[Supplier]
) -> list[tuple[Supplier, Totals]]:
    """The totals of each of ``suppliers`` over all of its notices in the
    batch (a supplier paid to two accounts has two), in one query."""
    rows = {
        row["supplier_id"]: row
        for row in PaymentNotice.objects.filter(batch=batch, supplier__in=suppliers)
        .order_by()
        .values("supplier_id")
        .annotate(count=Count("pk"), **_notice_sums())
    }
    return [
        (supplier, _as_totals(rows[supplier.pk]))
        for supplier in suppliers
        if supplier.pk in rows
    ]
