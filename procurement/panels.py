"""What procurement adds to the city staff's invoice page and approval
confirmation (``invoices.signals.city_invoice_panels``): the three-way
match of an invoice that names an order, and the warning when it takes
the order over its amount."""

from django.template.loader import render_to_string

from procurement.matching import invoice_match, invoice_order_link


def city_invoice_match_panel(sender, *, invoice, request, place, **kwargs):
    """Receiver: the match panel, or None for an invoice that names no
    order and is linked to none."""
    link = invoice_order_link(invoice=invoice)
    if link is None and not invoice.order_number:
        return None
    return render_to_string(
        "procurement/_invoice_match.html",
        {
            "match": invoice_match(invoice=invoice, link=link),
            "invoice": invoice,
            "place": place,
            "city": request.city,
        },
        request=request,
    )
