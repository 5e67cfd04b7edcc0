"""Payables (支払対象の請求書): the approved invoices the treasury pays."""

from django.db.models import Case, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThan

from invoices.models import Invoice, InvoiceStatus
from municipality.fiscal import FIRST_MONTH
from municipality.models import Municipality, PaymentBatchItem
from municipality.treasury.selectors.payees import with_named_account


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
    return with_named_account(
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
