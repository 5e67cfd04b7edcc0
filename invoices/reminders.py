"""Daily reminders (督促・期限のお知らせ), counted in business days.

Every business day each department staff member gets one digest of their
departments' invoices still unopened after ``reminder_unopened_days``
business days; after ``reminder_escalation_days`` more, the city
administrators get one too; the treasury gets one of approved invoices whose
payment deadline is within ``reminder_deadline_days`` days or passed.

The digests describe the state of the day, and each is keyed by recipient
and date: running the job twice on one day sends nothing twice, and after
downtime the next run sends one digest, not one per missed day.
"""

from collections import defaultdict
from datetime import date, timedelta

import jpholiday
from django.utils import timezone
from django_scopes import scope

from accounts.emails import email_send_template
from accounts.models import User
from accounts.notifications import Notification, recipients_wanting
from invoices.models import Invoice, InvoiceStatus
from municipality.models import Municipality, StaffRole
from municipality.selectors import staff_for_role


def is_business_day(day: date) -> bool:
    """Weekdays that are not public holidays nor the year-end closure
    (12/29–1/3, 地方公共団体の休日)."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not (
        (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    )


def business_days_before(day: date, count: int) -> date:
    """The business day ``count`` business days before ``day``."""
    while count > 0:
        day -= timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def _digest(template, users, key, today, **context) -> int:
    to = recipients_wanting(users, Notification.REMINDERS)
    for address in to:
        email_send_template(
            template=template,
            to=[address],
            context={"today": today, **context},
            key=f"{key}:{today.isoformat()}",
        )
    return len(to)


def reminders_send_for(municipality: Municipality, today: date) -> int:
    """Queue the day's digests for one municipality; the number queued."""
    sent = 0
    unopened = Invoice.objects.filter(
        municipality=municipality, status=InvoiceStatus.ISSUED
    ).select_related("supplier", "department")
    late_after = business_days_before(today, municipality.reminder_unopened_days)
    late = [i for i in unopened if timezone.localdate(i.received_at) <= late_after]

    by_department = defaultdict(list)
    for invoice in late:
        by_department[invoice.department_id].append(invoice)
    for user in staff_for_role(
        municipality=municipality, role=StaffRole.DEPARTMENT
    ).prefetch_related("staff_memberships__departments"):
        department_ids = {
            d.pk
            for m in user.staff_memberships.all()
            if m.municipality_id == municipality.pk
            for d in m.departments.all()
        }
        invoices = [i for d in department_ids for i in by_department.get(d, [])]
        if invoices:
            sent += _digest(
                "reminder_unopened",
                User.objects.filter(pk=user.pk),
                f"digest:unopened:{municipality.pk}:{user.pk}",
                today,
                municipality=municipality,
                invoices=sorted(invoices, key=lambda i: i.received_at),
            )

    escalate_after = business_days_before(
        late_after, municipality.reminder_escalation_days
    )
    escalated = [i for i in late if timezone.localdate(i.received_at) <= escalate_after]
    if escalated:
        sent += _digest(
            "reminder_escalation",
            staff_for_role(municipality=municipality, role=StaffRole.CITY_ADMIN),
            f"digest:escalation:{municipality.pk}",
            today,
            municipality=municipality,
            invoices=sorted(escalated, key=lambda i: i.received_at),
        )

    due = list(
        Invoice.objects.filter(
            municipality=municipality,
            status__in=[InvoiceStatus.APPROVED, InvoiceStatus.SCHEDULED],
            payment_deadline__lte=today
            + timedelta(days=municipality.reminder_deadline_days),
        )
        .select_related("supplier", "department")
        .order_by("payment_deadline")
    )
    if due:
        sent += _digest(
            "reminder_deadline",
            staff_for_role(municipality=municipality, role=StaffRole.TREASURY),
            f"digest:deadline:{municipality.pk}",
            today,
            municipality=municipality,
            invoices=due,
        )
    return sent


def reminders_send_daily(*, today: date | None = None) -> int:
    """The daily job: digests for every municipality on business days."""
    today = today or timezone.localdate()
    if not is_business_day(today):
        return 0
    sent = 0
    for municipality in Municipality.objects.filter(is_active=True):
        with scope(municipality=municipality.pk):
            sent += reminders_send_for(municipality, today)
    return sent
