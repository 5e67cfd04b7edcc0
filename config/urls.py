from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.views import account as account_views

# admin.site is config.admin.PortalAdminSite (config.apps.PortalAdminConfig).

urlpatterns = [
    path("", account_views.home, name="home"),
    path("role/", account_views.switch_role, name="switch_role"),
    # Before allauth's, so that ours take over where both have a page
    # (/accounts/email/).
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("m/<slug:municipality_slug>/", include("municipality.urls")),
    path("supplier/", include("partners.urls.supplier")),
    path("p/<slug:municipality_slug>/", include("partners.urls.requests")),
    path("invitations/", include("partners.urls.invitations")),
    path(settings.ADMIN_URL, admin.site.urls),
]
