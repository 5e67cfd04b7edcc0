from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from accounts.twofactor import two_factor_enabled


@require_GET
@login_required
def two_factor_required(request):
    """Explains why a privileged role (platform or city administrator) needs
    two-factor authentication and how to set it up; once it is, leads back
    to the page the user asked for."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return render(
        request,
        "accounts/two_factor_required.html",
        {"enabled": two_factor_enabled(request.user), "next_url": next_url},
    )


@require_GET
@login_required
def email_change_unavailable(request):
    """In place of allauth's address management: the login address is the
    one an invitation (or a platform administrator) verified, and a user
    cannot switch it to an address nobody has verified."""
    return render(request, "accounts/email_change_unavailable.html")
