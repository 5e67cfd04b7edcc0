from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

admin.site.site_header = "請求書ポータル 管理サイト"
admin.site.site_title = "請求書ポータル 管理"
admin.site.index_title = "プラットフォーム管理"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("role/", account_views.switch_role, name="switch_role"),
    path("accounts/", include("allauth.urls")),
    path("m/<slug:municipality_slug>/", include("municipality.urls")),
    path("supplier/", include("partners.urls")),
    path("p/<slug:municipality_slug>/", include("partners.urls_requests")),
    path("invitations/", include("partners.urls_invitations")),
    path("accounts/", include("accounts.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
