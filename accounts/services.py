"""Writes for users."""

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import NotificationSettings, User


@transaction.atomic
def user_create_from_invitation(*, email: str, name: str, password: str) -> User:
    """Create the account of a person who followed an emailed invitation.

    The invitation reached ``email``, which proves the address: it is stored
    as verified, so allauth never asks to confirm it.
    """
    user = User.objects.create_user(email, password, name=name)
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


@transaction.atomic
def notification_settings_update(*, user: User, **kinds: bool) -> NotificationSettings:
    """Save which kinds of email ``user`` wants (メール受信設定)."""
    settings, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults=kinds
    )
    return settings
