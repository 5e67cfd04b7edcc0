"""Ending a user's sessions, e.g. when they leave a municipality's staff."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User

# The key django.contrib.auth stores the logged-in user's id under.
_USER_KEY = "_auth_user_id"


def user_sessions_end(*, user: User) -> int:
    """Delete every live database session of ``user``; they must log in
    again on their next request. Returns how many were ended.

    Sessions are stored as signed blobs, so each live one is decoded; a
    portal has at most a few thousand at a time.
    """
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get(_USER_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
