"""Writes for users."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
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
def user_email_set_verified(*, user: User) -> EmailAddress:
    """Make ``user.email`` the account's only address, verified and primary.

    For an address a platform administrator entered (admin, seed): the
    administrator vouches for it, as an invitation does. Other addresses
    the account had are removed, so that a former address can no longer
    receive the account's password reset mail.
    """
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
    address = EmailAddress.objects.filter(user=user).first()
    if address is None:
        return EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=True
        )
    address.email, address.verified, address.primary = user.email, True, True
    address.save(update_fields=["email", "verified", "primary"])
    return address


def user_totp_activate(*, user: User, secret: str) -> Authenticator:
    """Set up an authenticator app (TOTP) with a known base32 ``secret``
    for ``user``, as allauth's own activation page would; for the demo
    users and tests. Raises ``ValueError`` if the user already has one."""
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        raise ValueError(f"{user.email} already has an authenticator app")
    return TOTP.activate(user, secret).instance


@transaction.atomic
def notification_settings_update(*, user: User, **kinds: bool) -> NotificationSettings:
    """Save which kinds of email ``user`` wants (メール受信設定)."""
    settings, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults=kinds
    )
    return settings


def user_language_set(*, user: User, language: str) -> User:
    """Save the language ``user`` reads the portal and their mail in (a
    code of ``settings.LANGUAGES``; empty: the site's language)."""
    user.language = language
    user.save(update_fields=["language"])
    return user
