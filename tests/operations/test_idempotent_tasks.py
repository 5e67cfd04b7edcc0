"""What makes a redelivered or swept mail task harmless: the mail is sent
under its row's lock and marked sent in the same transaction, so a second
task for the same notification, run while the first sends, skips it; and
every attempt carries the same Message-ID."""

import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from accounts.emails import email_deliver, email_message_id, email_queue
from accounts.models import EmailNotification, EmailStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_task_skips_a_mail_being_sent():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    # Stored as email_queue stores it; its own task is not run.
    notification = EmailNotification.objects.create(
        key="drill:a@example.jp", to="a@example.jp", subject="件名", body="本文"
    )
    locked, release = threading.Event(), threading.Event()

    def first_sender():
        # Holds the row as email_deliver does while the mail goes out.
        try:
            with transaction.atomic():
                EmailNotification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert email_deliver(notification_id=notification.pk) is None
        assert mail.outbox == []
    finally:
        release.set()
        thread.join()

    email_deliver(notification_id=notification.pk)
    email_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == EmailStatus.SENT
    assert notification.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == email_message_id(notification)


def test_the_message_id_names_the_notification_and_stays_the_same():
    (notification,) = email_queue(to=["a@example.jp"], subject="件名", body="本文")
    first = email_message_id(notification)
    assert first == email_message_id(EmailNotification.objects.get())
    assert first.startswith(f"<notification-{notification.pk}.")
    (other,) = email_queue(to=["b@example.jp"], subject="件名", body="本文")
    assert email_message_id(other) != first
