import smtplib

from celery import shared_task


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def email_send_task(payload: dict) -> None:
    from accounts.emails import email_deliver

    email_deliver(payload=payload)
