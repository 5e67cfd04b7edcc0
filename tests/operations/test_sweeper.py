"""The sweeper (issue 15, point 2): PDFs and mails whose task was lost
(a Redis restart, Redis away at commit) are queued again after the grace
period, by ``manage.py requeue_stalled`` and by the beat task; and a task
that cannot be queued does not undo or fail what was committed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import EmailNotification, EmailStatus
from config import celery_app
from invoices.models import Invoice, InvoicePdf, InvoiceStatus, PdfStatus
from operations.tasks import stalled_work_requeue_task
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(connection, supplier_user, django_capture_on_commit_callbacks):
    """An issued invoice whose PDF and mail tasks were never run (the
    callbacks that queue them are captured and dropped), requested an hour
    ago."""
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=False):
        invoice = make_invoice(connection=connection, actor=supplier_user)
    hour_ago = timezone.now() - timedelta(hours=1)
    with scopes_disabled():
        InvoicePdf.objects.filter(invoice=invoice).update(requested_at=hour_ago)
    EmailNotification.objects.update(created_at=hour_ago)
    return invoice


def _requeue(*args: str) -> str:
    out = StringIO()
    call_command("requeue_stalled", *args, stdout=out)
    return out.getvalue()


def _pdf(invoice: Invoice) -> InvoicePdf:
    with scopes_disabled():
        return InvoicePdf.objects.get(invoice=invoice)


def test_a_lost_pdf_and_mail_are_done_by_the_sweeper(lost, tenant):
    assert _pdf(lost).status == PdfStatus.PENDING
    assert EmailNotification.objects.get().status == EmailStatus.PENDING

    assert "請求書PDF 1件、メール 1件" in _requeue()

    assert _pdf(lost).status == PdfStatus.READY
    assert EmailNotification.objects.get().status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [[tenant.department_staff.email]]
    # Done is done: a second sweep finds nothing.
    assert "請求書PDF 0件、メール 0件" in _requeue()
    assert len(mail.outbox) == 1


def test_work_within_the_grace_period_is_left_to_its_task(lost):
    """Requested an hour ago: a two-hour grace leaves it alone."""
    assert "請求書PDF 0件、メール 0件" in _requeue("--minutes", "120")
    assert _pdf(lost).status == PdfStatus.PENDING


def test_failed_work_waits_for_an_admin(lost):
    with scopes_disabled():
        InvoicePdf.objects.update(status=PdfStatus.FAILED)
    EmailNotification.objects.update(status=EmailStatus.FAILED)
    assert "請求書PDF 0件、メール 0件" in _requeue()


def test_an_issued_invoice_without_a_pdf_row_gets_one(
    lost, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        InvoicePdf.objects.all().delete()
        assert Invoice.objects.get().status == InvoiceStatus.ISSUED
        Invoice.objects.filter(pk=lost.pk).update(
            received_at=timezone.now() - timedelta(hours=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert "請求書PDF 1件" in _requeue()
    assert _pdf(lost).status == PdfStatus.READY


def test_the_beat_task_sweeps_every_five_minutes(lost):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == stalled_work_requeue_task.name
    )
    assert entry["schedule"].minute == set(range(0, 60, 5))
    assert stalled_work_requeue_task.apply().get() == {"pdfs": 1, "mails": 1}
    assert _pdf(lost).status == PdfStatus.READY


def test_an_issue_commits_when_the_broker_is_away(
    connection, supplier_user, django_capture_on_commit_callbacks, caplog
):
    """Redis down at commit: the invoice stays issued, no error reaches the
    supplier, and its PDF and mail wait for the sweeper."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
            invoice = make_invoice(connection=connection, actor=supplier_user)
    finally:
        celery_app.conf.update(task_always_eager=saved[0], broker_url=saved[1])
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED
    assert _pdf(invoice).status == PdfStatus.PENDING
    assert EmailNotification.objects.get().status == EmailStatus.PENDING
    assert "broker unreachable" in caplog.text
    assert (
        _requeue("--minutes", "0")
        == "再びキューに入れました: 請求書PDF 1件、メール 1件\n"
    )
    assert _pdf(invoice).status == PdfStatus.READY
