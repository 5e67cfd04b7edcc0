"""API連携 pages in the supplier area (``supplier`` namespace)."""

from django.urls import path

from api.views import keys, webhooks

urlpatterns = [
    path("api-keys/", keys.ApiKeyListView.as_view(), name="api_keys"),
    path("api-keys/<int:pk>/", keys.ApiKeyDetailView.as_view(), name="api_key"),
    path(
        "api-keys/<int:pk>/revoke/",
        keys.ApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("api-guide/", keys.ApiGuideView.as_view(), name="api_guide"),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.WebhookDetailView.as_view(), name="webhook"),
    path(
        "webhooks/<int:pk>/delete/",
        webhooks.WebhookDeleteView.as_view(),
        name="webhook_delete",
    ),
    path(
        "webhooks/<int:pk>/ping/",
        webhooks.WebhookPingView.as_view(),
        name="webhook_ping",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/",
        webhooks.WebhookReplayView.as_view(),
        name="webhook_replay",
    ),
]
