"""The order an invoice names: an invoice entered on screen, by CSV, by
the API or received as JP PINT may give its 注文番号 (支出負担行為番号);
when it is issued, it is linked to that order (``InvoiceOrder``) so that
staff see it matched and the order's balance counts it."""

from invoices.models import Invoice, InvoiceStatus
from procurement.models import InvoiceOrder, Order, OrderStatus


def invoices_orders_link(*, invoices: list[Invoice]) -> list[InvoiceOrder]:
    """Link each invoice that names an order number, and is not linked
    yet, to the order of that number of its municipality, department and
    supplier (not a draft). An invoice naming no such order stays
    unlinked; its page says so. Three queries, whatever the number of
    invoices."""
    named = [invoice for invoice in invoices if invoice.order_number]
    if not named:
        return []
    linked = set(
        InvoiceOrder.objects.filter(invoice__in=named).values_list(
            "invoice_id", flat=True
        )
    )
    todo = [invoice for invoice in named if invoice.pk not in linked]
    if not todo:
        return []
    orders = Order.objects.filter(
        municipality_id__in={invoice.municipality_id for invoice in todo},
        number__in={invoice.order_number for invoice in todo},
    ).exclude(status=OrderStatus.DRAFT)
    by_key = {
        (order.municipality_id, order.number, order.department_id, order.supplier_id): (
            order
        )
        for order in orders
    }
    links = [
        InvoiceOrder(
            municipality_id=invoice.municipality_id, invoice=invoice, order=order
        )
        for invoice in todo
        if (
            order := by_key.get(
                (
                    invoice.municipality_id,
                    invoice.order_number,
                    invoice.department_id,
                    invoice.supplier_id,
                )
            )
        )
    ]
    return InvoiceOrder.objects.bulk_create(links)


def invoices_decided_link(sender, *, invoices, status, **kwargs):
    """Receiver of ``invoices.signals.invoices_decided``: link the
    invoices just issued (received, for JP PINT) to their orders, inside
    the transaction that issued them."""
    if status == InvoiceStatus.ISSUED:
        invoices_orders_link(invoices=invoices)
