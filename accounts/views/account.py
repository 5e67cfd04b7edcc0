from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import ACTIVE_ROLE_SESSION_KEY, roles_for_user
from accounts.twofactor import two_factor_enabled


@login_required
def home(request):
    """Send the user to the home of their role: the last one they chose, or
    the first they hold. A user with no role yet gets a page that says so."""
    roles = roles_for_user(request.user)
    if not roles:
        return render(request, "accounts/no_role.html")
    chosen = request.session.get(ACTIVE_ROLE_SESSION_KEY)
    role = next((r for r in roles if r.key == chosen), roles[0])
    request.session[ACTIVE_ROLE_SESSION_KEY] = role.key
    return redirect(role.url)


@require_POST
@login_required
def switch_role(request):
    """Switch to another of the user's roles; ``/`` and the account pages
    keep using it until the user logs out."""
    key = request.POST.get("role", "")
    role = next((r for r in roles_for_user(request.user) if r.key == key), None)
    if role is None:
        raise Http404
    request.session[ACTIVE_ROLE_SESSION_KEY] = role.key
    return redirect(role.url)


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
