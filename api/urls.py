"""API連携 pages in the supplier area (``supplier`` namespace)."""

from django.urls import path

from api import views

urlpatterns = [
    path("api-keys/", views.ApiKeyListView.as_view(), name="api_keys"),
    path("api-keys/<int:pk>/", views.ApiKeyDetailView.as_view(), name="api_key"),
    path(
        "api-keys/<int:pk>/revoke/",
        views.ApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("api-guide/", views.ApiGuideView.as_view(), name="api_guide"),
]
