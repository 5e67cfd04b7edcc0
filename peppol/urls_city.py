"""City console pages for Peppol, inside the ``city`` namespace."""

from django.urls import path

from peppol import views

urlpatterns = [
    path("", views.AccessPointSettingsView.as_view(), name="peppol_settings"),
]
