"""Account pages of our own, next to allauth's under ``/accounts/``."""

from django.urls import path

from accounts import views_settings

urlpatterns = [
    path(
        "notifications/",
        views_settings.NotificationSettingsView.as_view(),
        name="notification_settings",
    ),
]
