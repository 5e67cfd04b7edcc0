"""The delivery note (納品書) as a PDF, rendered with the invoices' one
WeasyPrint call (``invoices.pdf.render_pdf``: static files only, always in
Japanese)."""

from invoices.pdf import render_pdf
from procurement.models import Delivery

TEMPLATE = "procurement/pdf/delivery_note.html"


def delivery_note_pdf(delivery: Delivery) -> bytes:
    """The 納品書 of ``delivery``: order, lines with delivered quantities,
    and the inspection result once there is one."""
    return render_pdf(
        TEMPLATE,
        {
            "delivery": delivery,
            "order": delivery.order,
            "lines": delivery.lines.select_related("order_line"),
        },
    )
