"""Account pages of our own, next to allauth's under ``/accounts/``
(included first, so a page here replaces allauth's at the same path)."""

from django.urls import path

from accounts.views import account, notification_settings

urlpatterns = [
    path(
        "notifications/",
        notification_settings.NotificationSettingsView.as_view(),
        name="notification_settings",
    ),
    path(
        "language/",
        notification_settings.LanguageView.as_view(),
        name="account_language",
    ),
    path(
        "two-factor-required/",
        account.two_factor_required,
        name="two_factor_required",
    ),
    # Replaces allauth's address management: the login address changes
    # only through a platform administrator, never to an unverified one.
    path("email/", account.email_change_unavailable, name="account_email"),
]
