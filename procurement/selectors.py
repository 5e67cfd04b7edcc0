"""Reads of procurement data, explicit about whose they are.

Department staff see their departments' orders and deliveries; treasury
and city administrators see the whole municipality's. Suppliers see their
own orders (not drafts) in every municipality. Anything else is 404."""

from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from invoices.accounting import AccountingDefaults
from invoices.models import InvoiceStatus
from municipality.models import StaffRole
from municipality.tenancy import CityAccess
from partners.models import Supplier
from procurement.models import (
    Delivery,
    DeliveryStatus,
    InvoiceOrder,
    Order,
    OrderStatus,
)


def order_list_for_access(*, access: CityAccess) -> QuerySet[Order]:
    orders = Order.objects.filter(municipality=access.municipality)
    if not access.sees_all_departments:
        orders = orders.filter(department_id__in=access.department_ids)
    return orders.select_related("department", "supplier", "budget_code")


def order_get_for_access(*, access: CityAccess, pk: int) -> Order:
    return get_object_or_404(order_list_for_access(access=access), pk=pk)


def order_can_act(*, access: CityAccess, order: Order) -> bool:
    """Only the department's own staff place, change and cancel its orders
    and inspect its deliveries; treasury and city administrators read."""
    return (
        access.has_role(StaffRole.DEPARTMENT)
        and order.department_id in access.department_ids
    )


def order_list_for_supplier(*, supplier: Supplier) -> QuerySet[Order]:
    return (
        Order.objects.filter(supplier=supplier)
        .exclude(status=OrderStatus.DRAFT)
        .select_related("municipality", "department", "budget_code")
    )


def order_get_for_supplier(*, supplier: Supplier, pk: int) -> Order:
    return get_object_or_404(order_list_for_supplier(supplier=supplier), pk=pk)


def delivery_list_for_access(*, access: CityAccess) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.filter(municipality=access.municipality)
    if not access.sees_all_departments:
        deliveries = deliveries.filter(department_id__in=access.department_ids)
    return deliveries.select_related("order", "order__department", "supplier")


def delivery_get_for_access(*, access: CityAccess, pk: int) -> Delivery:
    return get_object_or_404(delivery_list_for_access(access=access), pk=pk)


def delivery_list_for_supplier(*, supplier: Supplier) -> QuerySet[Delivery]:
    return Delivery.objects.filter(supplier=supplier).select_related(
        "order", "municipality", "order__department"
    )


def delivery_get_for_supplier(*, supplier: Supplier, pk: int) -> Delivery:
    return get_object_or_404(delivery_list_for_supplier(supplier=supplier), pk=pk)


def inspection_counts(*, deliveries: QuerySet[Delivery]) -> dict:
    """Awaiting inspection, and inspections made after the deadline: two
    counts, each read from its own index (one count with both filters
    would read every delivery of the city)."""
    rows = deliveries.select_related(None).order_by()
    return {
        "pending": rows.filter(status=DeliveryStatus.PENDING).count(),
        "late": rows.filter(late_days__gt=0).count(),
    }


@dataclass(frozen=True)
class OrderBalance:
    """契約金額 and what is left of it (all tax included, whole yen)."""

    amount: int
    invoiced: int
    approved: int
    paid: int

    @property
    def remaining(self) -> int:
        return self.amount - self.invoiced

    @property
    def over(self) -> int:
        """What the invoices come to over the amount (超過額), or 0."""
        return max(0, self.invoiced - self.amount)


# Issued and not refused: what an invoice takes of its order's amount
# (also read by procurement.matching).
_APPROVED = (InvoiceStatus.APPROVED, InvoiceStatus.SCHEDULED, InvoiceStatus.PAID)
INVOICED = (InvoiceStatus.ISSUED, InvoiceStatus.OPENED, *_APPROVED)


def order_balance(*, order: Order) -> OrderBalance:
    """The order's amount against its invoices (``InvoiceOrder``): what
    is invoiced (issued, not returned or withdrawn), approved and paid."""
    sums = InvoiceOrder.objects.filter(order=order).aggregate(
        invoiced=Sum("invoice__total", filter=Q(invoice__status__in=INVOICED)),
        approved=Sum("invoice__total", filter=Q(invoice__status__in=_APPROVED)),
        paid=Sum("invoice__total", filter=Q(invoice__status=InvoiceStatus.PAID)),
    )
    return OrderBalance(
        amount=int(order.amount),
        invoiced=int(sums["invoiced"] or 0),
        approved=int(sums["approved"] or 0),
        paid=int(sums["paid"] or 0),
    )


def invoice_accounting_defaults_answer(*, invoice, **kwargs):
    """The answer to ``invoices.signals.invoice_accounting_defaults``: the
    accounting facts of the order the invoice bills (its 会計年度 also when
    the invoice is paid in the 出納整理期間), or None if it bills none."""
    link = (
        InvoiceOrder.objects.filter(invoice=invoice)
        .select_related("order__budget_code")
        .first()
    )
    if link is None:
        return None
    inspected_on = Delivery.objects.filter(
        invoice=invoice, status=DeliveryStatus.ACCEPTED
    ).aggregate(last=Max("inspected_on"))["last"]
    return AccountingDefaults(
        fiscal_year=link.order.fiscal_year,
        budget_code=link.order.budget_code,
        commitment_number=link.order.number,
        inspected_on=inspected_on,
    )


def order_invoices(*, order: Order) -> QuerySet[InvoiceOrder]:
    """The invoices that bill the order, newest first."""
    return (
        InvoiceOrder.objects.filter(order=order)
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .select_related("invoice")
        .order_by("-invoice__created_at")
    )
