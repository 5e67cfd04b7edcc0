"""Daily reminders of orders awaiting the supplier's 請書 (like unopened
invoices, ``invoices.reminders``): on business days, each supplier gets one
digest per municipality of the orders sent to it more than
``reminder_unopened_days`` business days ago and still not confirmed.
Each digest is keyed by supplier, municipality and date: running the job
twice on one day sends nothing twice."""

from collections import defaultdict
from datetime import date

from django.utils import timezone
from django_scopes import scope

from accounts.emails import email_send_template
from accounts.notifications import Notification, recipients_wanting
from invoices.reminders import business_days_before, is_business_day
from municipality.models import Municipality
from partners.selectors import supplier_users_for
from procurement.models import Order, OrderStatus


def order_reminders_for(municipality: Municipality, today: date) -> int:
    """Queue the day's digests for one municipality; the number of
    recipients."""
    late_after = business_days_before(today, municipality.reminder_unopened_days)
    waiting = Order.objects.filter(
        municipality=municipality,
        status=OrderStatus.ORDERED,
        ordered_at__date__lte=late_after,
    ).select_related("supplier", "department")
    by_supplier = defaultdict(list)
    for order in waiting.order_by("ordered_at", "pk"):
        by_supplier[order.supplier].append(order)
    sent = 0
    for supplier, orders in by_supplier.items():
        to = recipients_wanting(
            supplier_users_for(supplier=supplier), Notification.REMINDERS
        )
        email_send_template(
            template="order_reminder",
            to=to,
            key=f"digest:orders:{municipality.pk}:{supplier.pk}:{today.isoformat()}",
            context={
                "today": today,
                "municipality": municipality,
                "supplier": supplier,
                "orders": orders,
            },
        )
        sent += len(to)
    return sent


def order_reminders_send_daily(*, today: date | None = None) -> int:
    """The daily job: every municipality, on business days."""
    today = today or timezone.localdate()
    if not is_business_day(today):
        return 0
    sent = 0
    for municipality in Municipality.objects.filter(is_active=True):
        with scope(municipality=municipality.pk):
            sent += order_reminders_for(municipality, today)
    return sent
