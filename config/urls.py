from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from api.api import api as supplier_api
from config import health, views as portal_views

# admin.site is config.admin.PortalAdminSite (config.apps.PortalAdminConfig).

# The city and supplier areas gather the pages of several apps. They are put
# together here, so that no app's URLs include those of an app above it (the
# dependency order is in README.md).
city_urls = [
    path("", include("invoices.urls.city_root")),
    path("", include("municipality.urls")),
    path("", include("municipality.treasury.urls.city")),
    path("invoices/", include("invoices.urls.city")),
    path("", include("peppol.urls.city")),
    path("manage/", include("partners.urls.console")),
    path("manage/", include("municipality.console.urls")),
    path("procurement/", include("procurement.urls.city")),
]
supplier_urls = [
    path("", include("partners.urls.supplier")),
    path("invoices/", include("invoices.urls.supplier")),
    path("", include("peppol.urls.supplier")),
    path("", include("municipality.treasury.urls.supplier")),
    path("", include("api.urls")),
    path("orders/", include("procurement.urls.supplier")),
]

urlpatterns = [
    # For load balancers: no login, no tenancy (config.health).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", portal_views.home, name="home"),
    path("role/", portal_views.switch_role, name="switch_role"),
    # Django's language switch (a cookie) for visitors not signed in: the
    # login page posts here. Signed-in users choose in their settings.
    path("i18n/setlang/", set_language, name="set_language"),
    # Before allauth's, so that ours take over where both have a page
    # (/accounts/email/).
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("m/<slug:municipality_slug>/", include((city_urls, "city"))),
    path("supplier/", include((supplier_urls, "supplier"))),
    path("api/v1/", supplier_api.urls),
    path("p/<slug:municipality_slug>/", include("partners.urls.requests")),
    path("invitations/", include("partners.urls.invitations")),
    path("invitations/staff/", include("municipality.console.urls_accept")),
    path(settings.ADMIN_URL, admin.site.urls),
]
