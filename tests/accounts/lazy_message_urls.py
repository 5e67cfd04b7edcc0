"""A URL conf for tests/accounts/test_language.py: a view that adds a
message given as a lazy string, the way many views pass their module's
``gettext_lazy`` constants, beside the portal's own URLs."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

SAVED = _("メール受信設定を保存しました。")


def add_lazy_message(request):
    messages.success(request, SAVED)
    return redirect("notification_settings")


urlpatterns = [
    path("lazy/", add_lazy_message),
    path("", include("config.urls")),
]
