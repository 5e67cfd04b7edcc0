"""Two-factor authentication (二段階認証) for privileged roles.

Platform administrators (the Django admin) and city administrators (自治体
管理者) must have an authenticator app (TOTP) set up before they can use
what their role opens; until then they are sent to a page that explains how
to set it up. allauth's login asks every user who has TOTP for a code, so a
password alone never logs them in.
"""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode


def two_factor_enabled(user) -> bool:
    """Whether ``user`` has an authenticator app (TOTP) set up."""
    return user.is_authenticated and is_mfa_enabled(
        user, types=[Authenticator.Type.TOTP]
    )


def two_factor_required_redirect(
    request: HttpRequest, *, next_url: str = ""
) -> HttpResponseRedirect:
    """Send the user to the page that explains how to set up two-factor
    authentication; it leads back to ``next_url`` (by default the page
    asked for, when that was a GET) once it is set up."""
    if not next_url and request.method == "GET":
        next_url = request.get_full_path()
    url = reverse("two_factor_required")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(url)


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for the base32 ``secret``,
    computed by allauth itself. For the demo (``manage.py demo_totp``) and
    tests."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))
