"""Whether a user wants a kind of email (メール受信設定)."""

from enum import StrEnum


class Notification(StrEnum):
    """Kinds of email a user may turn off; field names of
    ``NotificationSettings``."""

    INVOICE_EVENTS = "invoice_events"
    REMINDERS = "reminders"
    PAYMENT_NOTICES = "payment_notices"
    ANNOUNCEMENTS = "announcements"


def user_wants(user, kind: Notification) -> bool:
    """True unless the user turned ``kind`` off. Users who never saved their
    settings get every kind."""
    from accounts.models import NotificationSettings

    settings = NotificationSettings.objects.filter(user=user).first()
    return settings is None or getattr(settings, kind)


def recipients_wanting(users, kind: Notification) -> list[str]:
    """The addresses of the active ``users`` who want ``kind``, in one query."""
    return [
        u.email
        for u in users.filter(is_active=True).select_related("notification_settings")
        if not hasattr(u, "notification_settings")
        or getattr(u.notification_settings, kind)
    ]
