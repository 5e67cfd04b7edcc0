"""Sending email. Every message is stored as an ``EmailNotification`` (one
per recipient) and sent by a Celery task after the transaction commits: a
rolled-back transaction sends nothing, SMTP being slow or down never fails
the request, each notification is sent once, and failures are visible in
the admin."""

import mimetypes
import uuid
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import TemplateDoesNotExist, render_to_string
from django.utils import timezone
from django.utils.html import escape

from accounts.models import EmailNotification, EmailStatus


def email_queue(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    key: str = "",
    attachment: tuple[str, str] | None = None,
) -> list[EmailNotification]:
    """Store one notification per recipient and send each after commit.

    With a ``key``, a notification already stored for that key and
    recipient is not sent again (idempotent producers). Without one, every
    call sends.
    """
    from accounts.tasks import email_notification_send_task

    queued = []
    for address in dict.fromkeys(to):  # each address once, in order
        notification, created = EmailNotification.objects.get_or_create(
            key=f"{key or uuid.uuid4().hex}:{address.lower()}",
            defaults={
                "to": address,
                "subject": subject,
                "body": body,
                "html": html,
                "attachment": attachment[0] if attachment else "",
                "attachment_filename": attachment[1] if attachment else "",
            },
        )
        if created:
            transaction.on_commit(
                partial(email_notification_send_task.delay, notification.pk)
            )
            queued.append(notification)
    return queued


def email_send(*, message: EmailMessage) -> None:
    """Queue an already built message (allauth's account mail)."""
    html = next(
        (
            c
            for c, mimetype in getattr(message, "alternatives", [])
            if mimetype == "text/html"
        ),
        "",
    )
    email_queue(
        to=list(message.to), subject=message.subject, body=message.body, html=html
    )


def email_send_template(
    *,
    template: str,
    to: list[str],
    context: dict,
    key: str = "",
    attachment: tuple[str, str] | None = None,
) -> None:
    """Render ``templates/emails/<template>_subject.txt`` and ``_body.txt``
    (plain text, not HTML-escaped; ``site_url`` is there for absolute
    links) and an HTML version (``_body.html`` if the template has one,
    else the text in the common HTML layout), and queue it to ``to``.
    ``key`` makes it idempotent (see ``email_queue``)."""
    if not to:
        return
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context, using="text")
    body = render_to_string(f"emails/{template}_body.txt", context, using="text")
    try:
        html = render_to_string(f"emails/{template}_body.html", context)
    except TemplateDoesNotExist:
        # The text engine returns "safe" strings; escape the text for HTML
        # here, since it carries what suppliers and staff typed.
        html = render_to_string(
            "emails/layout.html",
            {**context, "subject": subject, "body": escape(body)},
        )
    email_queue(
        to=to,
        subject=settings.EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=body,
        html=html,
        key=key,
        attachment=attachment,
    )


def email_deliver(*, notification_id: int) -> EmailNotification:
    """Send one stored notification, once: a retried or duplicated task
    finds it sent and does nothing. SMTP errors propagate (the task retries)."""
    with transaction.atomic():
        notification = EmailNotification.objects.select_for_update().get(
            pk=notification_id
        )
        if notification.status == EmailStatus.SENT:
            return notification
        notification.attempts += 1
        notification.save(update_fields=["attempts"])
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
    )
    if notification.html:
        message.attach_alternative(notification.html, "text/html")
    if notification.attachment:
        with default_storage.open(notification.attachment, "rb") as f:
            message.attach(
                notification.attachment_filename,
                f.read(),
                mimetypes.guess_type(notification.attachment_filename)[0]
                or "application/octet-stream",
            )
    message.send()
    EmailNotification.objects.filter(pk=notification.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return notification


def email_failed(*, notification_id: int, error: str) -> None:
    """Record that sending failed for good; admins see it and can retry."""
    EmailNotification.objects.filter(pk=notification_id).exclude(
        status=EmailStatus.SENT
    ).update(status=EmailStatus.FAILED, last_error=error[:2000])
