"""Daily digests counted in Japanese business days, sent once per day."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from accounts.models import NotificationSettings
from invoices.models import Invoice, InvoiceStatus
from invoices.reminders import (
    business_days_before,
    is_business_day,
    reminders_send_daily,
)

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
# Thursday 2026-11-26; the Monday before it, 11-23, is 勤労感謝の日.
TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 26), True),
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 23), False),  # 勤労感謝の日
        (date(2026, 12, 29), False),  # year-end closure
        (date(2027, 1, 3), False),
        (date(2027, 1, 4), True),
    ],
)
def test_business_days(day, expected):
    assert is_business_day(day) is expected


def test_business_days_skip_weekends_and_holidays():
    # Thu 26 → Wed 25, Tue 24, (Mon 23 holiday, weekend) Fri 20.
    assert business_days_before(TODAY, 3) == date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _no_earlier_mail(issued_invoice):
    # Issuing told the staff already; these tests look at reminders only.
    mail.outbox.clear()


def _received(invoice, day):
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(
            received_at=datetime.combine(day, time(10), TOKYO)
        )


def _mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_staff_get_one_digest_of_invoices_unopened_for_3_business_days(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    _received(issued_invoice, date(2026, 11, 20))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_daily(today=TODAY)
        reminders_send_daily(today=TODAY)  # the job ran twice: nothing twice
    (digest,) = _mails_to(tenant.department_staff.email)
    assert "未開封の請求書が1件" in digest.subject
    assert issued_invoice.number in digest.body
    assert not _mails_to(tenant.city_admin.email)  # not escalated yet


def test_a_fresher_invoice_is_not_in_the_digest(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    _received(issued_invoice, date(2026, 11, 24))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_daily(today=TODAY)
    assert not _mails_to(tenant.department_staff.email)


def test_nothing_is_sent_on_holidays(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    _received(issued_invoice, date(2026, 11, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send_daily(today=date(2026, 11, 23)) == 0
    assert mail.outbox == []


def test_after_5_more_business_days_the_city_admin_is_told(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    _received(issued_invoice, date(2026, 11, 12))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_daily(today=TODAY)
    (digest,) = _mails_to(tenant.city_admin.email)
    assert "長く未開封" in digest.subject


def test_after_downtime_one_digest_catches_up(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    _received(issued_invoice, date(2026, 11, 2))
    with django_capture_on_commit_callbacks(execute=True):
        # The job was down for a week; the next run sends one digest.
        reminders_send_daily(today=TODAY)
    assert len(_mails_to(tenant.department_staff.email)) == 1


def test_treasury_is_told_of_approaching_deadlines(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        Invoice.objects.filter(pk=issued_invoice.pk).update(
            status=InvoiceStatus.APPROVED, payment_deadline=TODAY + timedelta(days=3)
        )
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_daily(today=TODAY)
    (digest,) = _mails_to(tenant.treasury.email)
    assert "支払期限が近い請求書が1件" in digest.subject


def test_reminders_respect_notification_settings(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.create(user=tenant.department_staff, reminders=False)
    _received(issued_invoice, date(2026, 11, 20))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_daily(today=TODAY)
    assert not _mails_to(tenant.department_staff.email)


def test_send_reminders_command_runs_the_daily_job(
    tenant, issued_invoice, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    _received(issued_invoice, date(2026, 11, 20))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "2026-11-26", stdout=out)
    assert "1 通" in out.getvalue()
    assert len(_mails_to(tenant.department_staff.email)) == 1
