"""Sending email. Every message is stored as an ``EmailNotification`` (one
per recipient) and sent by a Celery task after the transaction commits: a
rolled-back transaction sends nothing, SMTP being slow or down never fails
the request, each notification is sent once, and failures are visible in
the admin."""

import hashlib
import mimetypes
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import TemplateDoesNotExist, render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from accounts.enqueue import enqueue_on_commit
from accounts.models import EmailNotification, EmailStatus

_SUBJECT_MAX = EmailNotification._meta.get_field("subject").max_length
# Characters a URL of this site may carry (RFC 3986), and nothing that could
# end an HTML attribute.
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"


def email_subject_line(subject: str) -> str:
    """The subject on one line: every run of whitespace (line breaks
    included, so nothing typed into a name can start a new mail header)
    becomes one space, except the full-width space of Japanese names.
    Cut to what ``EmailNotification`` stores."""
    line = re.sub(r"[^\S\u3000]+", " ", str(subject)).strip()
    if len(line) > _SUBJECT_MAX:
        line = line[: _SUBJECT_MAX - 1] + "…"
    return line


def _site_links() -> re.Pattern:
    """URLs of this site (``SITE_URL``), ending where a URL character no
    longer follows, so ``https://portal.example.jp.evil.example`` or
    ``https://portal.example.jp@evil.example`` never match."""
    base = re.escape(settings.SITE_URL.rstrip("/"))
    return re.compile(f"{base}(?:/{_URL_CHARS}*)?(?!{_URL_CHARS})")


def email_html_body(text: str) -> SafeString:
    """Plain text as HTML: everything escaped, line breaks kept, and only
    links to this site made clickable. A URL someone typed (a supplier's
    name, a request's message, a return explanation) stays text, so mail
    from the portal never carries a link an outsider chose."""
    parts, last = [], 0
    for match in _site_links().finditer(text):
        url = escape(match.group())
        parts += [escape(text[last : match.start()]), f'<a href="{url}">{url}</a>']
        last = match.end()
    parts.append(escape(text[last:]))
    paragraphs = re.split(r"\n{2,}", "".join(parts).replace("\r\n", "\n").strip())
    return mark_safe(  # noqa: S308 - every piece above is escaped
        "\n\n".join(
            f"<p>{paragraph.replace(chr(10), '<br>')}</p>" for paragraph in paragraphs
        )
    )


def email_html(*, subject: str, body: str) -> str:
    """The HTML alternative of a plain-text mail: the common layout with the
    subject as its title (as text) and the body as ``email_html_body``."""
    return render_to_string(
        "emails/layout.html",
        # "".join makes a plain str: text from the "text" engine is marked
        # safe, and the subject must be escaped in <title> like any value.
        {"subject": "".join(subject), "body": email_html_body(str(body))},
    )


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

    subject = email_subject_line(subject)
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
            # Redis away: the row is committed, and the sweeper
            # (emails_requeue_stalled) queues it later.
            enqueue_on_commit(email_notification_send_task, notification.pk)
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


def recipient_languages(addresses: list[str]) -> dict[str, str]:
    """The language each address reads its mail in: its user's chosen one,
    else the site's (an address with no account yet, e.g. an invitation)."""
    from accounts.models import User

    chosen = dict(
        User.objects.filter(email__in=[a.lower() for a in addresses])
        .exclude(language="")
        .values_list("email", "language")
    )
    return {a: chosen.get(a.lower(), settings.LANGUAGE_CODE) for a in addresses}


def email_subject_prefix() -> str:
    """``EMAIL_SUBJECT_PREFIX`` in the active language (the default one is
    in the catalog; one set for a deployment stays as it is)."""
    prefix = settings.EMAIL_SUBJECT_PREFIX
    return gettext(prefix) if prefix else ""  # gettext("") is the catalog header


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
    Each recipient gets it in their language (``recipient_languages``): it
    is rendered once per language. ``key`` makes it idempotent (see
    ``email_queue``)."""
    if not to:
        return
    context = {"site_url": settings.SITE_URL, **context}
    by_language: dict[str, list[str]] = {}
    for address, language in recipient_languages(to).items():
        by_language.setdefault(language, []).append(address)
    for language, addresses in by_language.items():
        with translation.override(language):
            subject, body, html = _render_mail(template, context)
        email_queue(
            to=addresses,
            subject=subject,
            body=body,
            html=html,
            key=key,
            attachment=attachment,
        )


def _render_mail(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text body and HTML body of ``template`` in the active
    language."""
    subject = render_to_string(f"emails/{template}_subject.txt", context, using="text")
    body = render_to_string(f"emails/{template}_body.txt", context, using="text")
    subject = email_subject_line(email_subject_prefix() + subject)
    try:
        html = render_to_string(f"emails/{template}_body.html", context)
    except TemplateDoesNotExist:
        html = email_html(subject=subject, body=body)
    return subject, body, html


def email_message_id(notification: EmailNotification) -> str:
    """The notification's Message-ID, the same on every attempt: should a
    worker die after the mail server accepted the message but before the
    portal recorded it (the one moment no portal can close), the second
    copy carries the same Message-ID and mail systems that deduplicate on
    it show one message."""
    digest = hashlib.sha256(notification.key.encode()).hexdigest()[:32]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notification.pk}.{digest}@{domain}>"


def email_deliver(*, notification_id: int) -> EmailNotification | None:
    """Send one stored notification, once. The row stays locked while the
    message goes out and is marked sent in the same transaction: a second
    task for it (a redelivered message after a worker was killed, the
    sweeper's) skips it while the first sends and finds it sent after; a
    worker killed before the commit leaves it unsent, to be sent again.
    Returns ``None`` when another worker is sending it. SMTP errors are
    counted and propagate (the task retries)."""
    error = None
    with transaction.atomic():
        notification = (
            EmailNotification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            if EmailNotification.objects.filter(pk=notification_id).exists():
                return None  # locked: another worker is sending it
            raise EmailNotification.DoesNotExist(notification_id)
        if notification.status == EmailStatus.SENT:
            return notification
        notification.attempts += 1
        try:
            _message(notification).send()
        except Exception as exc:  # recorded, then raised below
            error = exc
        else:
            notification.status = EmailStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(
                update_fields=["attempts", "status", "sent_at", "last_error"]
            )
            return notification
    # Counted outside the failed send's transaction, so that it sticks.
    EmailNotification.objects.filter(pk=notification_id).update(
        attempts=F("attempts") + 1, last_error=repr(error)[:2000]
    )
    raise error


def _message(notification: EmailNotification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
        headers={"Message-ID": email_message_id(notification)},
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
    return message


def emails_requeue_stalled(*, older_than: timedelta) -> int:
    """Queue again every notification still waiting ``older_than`` after it
    was stored (the sweeper): its task was lost with a restarted Redis, or
    never queued while Redis was away. Sending is idempotent, so a task
    that was only slow costs nothing. Failed ones wait for an admin."""
    from accounts.tasks import email_notification_send_task

    stalled = list(
        EmailNotification.objects.filter(
            status=EmailStatus.PENDING, created_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for pk in stalled:
        email_notification_send_task.delay(pk)
    return len(stalled)


def email_failed(*, notification_id: int, error: str) -> None:
    """Record that sending failed for good; admins see it and can retry."""
    EmailNotification.objects.filter(pk=notification_id).exclude(
        status=EmailStatus.SENT
    ).update(status=EmailStatus.FAILED, last_error=error[:2000])
