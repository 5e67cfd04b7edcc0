"""The portal's front door: ``/`` sends a user to the home of their role,
and the header's role switcher posts here. Roles span a city's staff and a
supplier's members, so these sit above both apps."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.roles import ACTIVE_ROLE_SESSION_KEY, roles_for_user


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
