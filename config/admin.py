"""The Django admin site for platform administrators (プラットフォーム管理者)."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from accounts.twofactor import two_factor_enabled, two_factor_required_redirect


class PortalAdminSite(admin.AdminSite):
    """Only staff with two-factor authentication get in, and only through
    allauth's login page: the admin's own form would take a password alone,
    without allauth's rate limits or its second step."""

    site_header = _("請求書ポータル 管理サイト")
    site_title = _("請求書ポータル 管理")
    index_title = _("プラットフォーム管理")

    def has_permission(self, request):
        return super().has_permission(request) and two_factor_enabled(request.user)

    def login(self, request, extra_context=None):
        user = request.user
        if (
            user.is_authenticated
            and user.is_active
            and user.is_staff
            and not two_factor_enabled(user)
        ):
            next_url = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                next_url,
                allowed_hosts={request.get_host()},
                require_https=request.is_secure(),
            ):
                next_url = ""
            return two_factor_required_redirect(request, next_url=next_url)
        view = secure_admin_login(super().login)
        return view(request, extra_context=extra_context)
