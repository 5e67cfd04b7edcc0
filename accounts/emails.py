"""Sending email: messages are built in the request, sent by a Celery task."""

from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def email_send(*, message: EmailMessage) -> None:
    """Queue ``message`` for sending once the current transaction commits.

    A rolled-back transaction sends nothing; SMTP being slow or down never
    blocks or fails the request (the task retries).
    """
    from accounts.tasks import email_send_task

    payload = {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [content, mimetype]
            for content, mimetype in getattr(message, "alternatives", [])
        ],
    }
    transaction.on_commit(partial(email_send_task.delay, payload))


def email_send_template(*, template: str, to: list[str], context: dict) -> None:
    """Render ``templates/emails/<template>_subject.txt`` and ``_body.txt``
    (plain text, not HTML-escaped; ``site_url`` is there for absolute links)
    and queue one message to ``to`` (after commit). Nothing is sent to an
    empty list."""
    if not to:
        return
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context, using="text")
    body = render_to_string(f"emails/{template}_body.txt", context, using="text")
    email_send(
        message=EmailMessage(
            subject=settings.EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
            body=body,
            to=to,
        )
    )


def email_deliver(*, payload: dict) -> None:
    """Hand one queued message to the configured email backend."""
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    message.send()
