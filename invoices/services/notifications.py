"""The mails about an invoice to the people who want them."""

from collections.abc import Sequence

from django.db.models import QuerySet

from accounts.emails import email_send_template
from accounts.models import User
from accounts.notifications import Notification, recipients_wanting
from invoices.models import Invoice
from municipality.selectors import staff_for_department


def invoice_notify(
    *,
    invoice: Invoice,
    event: str,
    users: QuerySet[User],
    kind: Notification = Notification.INVOICE_EVENTS,
    key: str = "",
) -> None:
    """Mail the ``users`` who want ``kind`` about ``event`` on the invoice
    (template ``invoice_<event>``), once per ``key`` (by default once per
    invoice and event)."""
    email_send_template(
        template=f"invoice_{event}",
        key=key or f"invoice:{invoice.pk}:{event}",
        to=recipients_wanting(users, kind),
        context={"invoice": invoice},
    )


def invoices_notify_department(
    *,
    invoices: Sequence[Invoice],
    event: str,
    kind: Notification = Notification.INVOICE_EVENTS,
) -> None:
    """``invoice_notify`` of each invoice to its department's staff
    (``staff_for_department``), the addresses of each department read once:
    an upload issues thousands of invoices to a few departments."""
    addresses: dict[int, list[str]] = {}
    for invoice in invoices:
        if invoice.department_id not in addresses:
            addresses[invoice.department_id] = recipients_wanting(
                staff_for_department(department=invoice.department), kind
            )
        email_send_template(
            template=f"invoice_{event}",
            key=f"invoice:{invoice.pk}:{event}",
            to=addresses[invoice.department_id],
            context={"invoice": invoice},
        )
