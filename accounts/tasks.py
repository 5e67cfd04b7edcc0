import smtplib

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

# Worth a retry: the mail server or the database is away for a moment.
# (SMTPException, ConnectionError and TimeoutError are OSErrors; listed to
# say what is meant.) Anything else is a programming error: it fails once.
TRANSIENT = (
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
    OSError,
    OperationalError,
    InterfaceError,
)


class EmailTask(Task):
    """No tenant: a notification row knows its recipient, and mail for the
    platform's staff belongs to no municipality."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are used up: make the failure visible.
        from accounts.emails import email_failed

        email_failed(notification_id=args[0], error=repr(exc))


@shared_task(
    base=EmailTask,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=8,
)
def email_notification_send_task(notification_id: int) -> None:
    from accounts.emails import email_deliver

    email_deliver(notification_id=notification_id)
