"""Payment notices: the suppliers' notices of paid batches, and the
notices of the remittance data (取引明細情報) with their invoices."""

from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from invoices.models import Invoice
from municipality.models import BatchStatus, Municipality, PaymentNotice
from partners.models import Supplier


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


def payment_notice_get_for_supplier(
    *, supplier: Supplier, pk: int, with_invoices: bool = True
) -> PaymentNotice:
    """One of the supplier's notices of a paid batch, or 404; with its
    invoices read in (for the PDF and the downloads) unless
    ``with_invoices`` is false (its page reads them a page at a time
    through ``payment_notice_invoices``)."""
    notices = PaymentNotice.objects.filter(
        supplier=supplier, batch__status=BatchStatus.PAID
    ).select_related("batch", "municipality")
    if with_invoices:
        notices = notices.prefetch_related(
            Prefetch("invoices", queryset=payment_notice_invoices(notice=None))
        )
    return get_object_or_404(notices, pk=pk)


def payment_notice_invoices(*, notice: PaymentNotice | None) -> QuerySet[Invoice]:
    """The invoices a notice paid, by receipt number (the queryset of a
    prefetch when ``notice`` is None)."""
    invoices = Invoice.objects.select_related("department", "payment_confirmation")
    if notice is not None:
        invoices = invoices.filter(payment_notices=notice)
    return invoices.order_by("receipt_number", "pk")


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
