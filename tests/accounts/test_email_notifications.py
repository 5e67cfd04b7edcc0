"""Every mail is stored, sent once per event, in text and HTML, and a
failure after the retries is visible to admins."""

import socket

import pytest
from django.core import mail

from accounts.emails import email_send_template
from accounts.models import EmailNotification, EmailStatus
from config import celery_app

pytestmark = pytest.mark.django_db


def _send(key="invoice:1:issued", to=("a@example.jp", "b@example.jp")):
    email_send_template(
        template="invitation_request_declined",
        to=list(to),
        context={
            "request": {"contact_name": "鹿屋 一郎", "decline_reason": "理由 A&B"},
            "municipality": {"name": "鹿屋市"},
        },
        key=key,
    )


def test_each_recipient_gets_one_text_and_html_message(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _send()
    assert [m.to for m in mail.outbox] == [["a@example.jp"], ["b@example.jp"]]
    message = mail.outbox[0]
    assert "理由 A&B" in message.body  # plain text is not HTML-escaped
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    assert "理由 A&amp;B" in html
    assert set(EmailNotification.objects.values_list("status", flat=True)) == {
        EmailStatus.SENT
    }


def test_the_same_event_is_sent_only_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send()
        _send()
    assert len(mail.outbox) == 2
    assert EmailNotification.objects.count() == 2


def test_without_a_key_every_call_sends(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _send(key="", to=["a@example.jp"])
        _send(key="", to=["a@example.jp"])
    assert len(mail.outbox) == 2


@pytest.fixture
def closed_port():
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_failure_is_retried_then_recorded(settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port
    conf = celery_app.conf
    saved = conf.task_eager_propagates
    conf.task_eager_propagates = False  # as under a worker: retried, not raised
    try:
        _send(to=["a@example.jp"])
        notification = EmailNotification.objects.get()
        from accounts.tasks import email_notification_send_task

        email_notification_send_task.apply(args=[notification.pk])
    finally:
        conf.task_eager_propagates = saved
    notification.refresh_from_db()
    assert notification.status == EmailStatus.FAILED
    assert notification.attempts == 9  # the first try and 8 retries
    assert "ConnectionRefusedError" in notification.last_error
