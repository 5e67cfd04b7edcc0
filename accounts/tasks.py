import smtplib

from celery import Task, shared_task


class EmailTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are used up: make the failure visible.
        from accounts.emails import email_failed

        email_failed(notification_id=args[0], error=repr(exc))


@shared_task(
    base=EmailTask,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OSError),
    retry_backoff=True,
    max_retries=8,
)
def email_notification_send_task(notification_id: int) -> None:
    from accounts.emails import email_deliver

    email_deliver(notification_id=notification_id)
