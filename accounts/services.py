"""Writes for users."""

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import User


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
