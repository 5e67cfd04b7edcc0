"""City pages for JP PINT, inside the ``city`` namespace."""

from django.urls import path

from peppol import views_access_point, views_inbound as views

urlpatterns = [
    path(
        "manage/peppol/",
        views_access_point.AccessPointSettingsView.as_view(),
        name="peppol_settings",
    ),
    path("manage/inbound/", views.InboundListView.as_view(), name="inbound_documents"),
    path(
        "manage/inbound/<int:pk>/",
        views.InboundDetailView.as_view(),
        name="inbound_document",
    ),
    path(
        "manage/inbound/<int:pk>/original.xml",
        views.InboundOriginalView.as_view(),
        name="inbound_document_xml",
    ),
    path(
        "pint/invoices/<int:pk>/original.xml",
        views.CityOriginalXmlView.as_view(),
        name="invoice_original_xml",
    ),
]
