"""The mails about an invoice to the people who want them."""

from django.db.models import QuerySet

from accounts.emails import email_send_template
from accounts.models import User
from accounts.notifications import Notification, recipients_wanting
from invoices.models import Invoice


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
