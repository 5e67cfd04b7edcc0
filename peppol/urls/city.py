"""City pages for JP PINT, inside the ``city`` namespace."""

from django.urls import path

from peppol.views import access_point, documents, inbound

urlpatterns = [
    path(
        "manage/peppol/",
        access_point.AccessPointSettingsView.as_view(),
        name="peppol_settings",
    ),
    path(
        "manage/inbound/", inbound.InboundListView.as_view(), name="inbound_documents"
    ),
    path(
        "manage/inbound/<int:pk>/",
        inbound.InboundDetailView.as_view(),
        name="inbound_document",
    ),
    path(
        "manage/inbound/<int:pk>/original.xml",
        inbound.InboundOriginalView.as_view(),
        name="inbound_document_xml",
    ),
    path(
        "pint/invoices/<int:pk>/original.xml",
        inbound.CityOriginalXmlView.as_view(),
        name="invoice_original_xml",
    ),
    path(
        "invoices/<int:pk>/xml/",
        documents.CityInvoiceXmlView.as_view(),
        name="invoice_xml",
    ),
]
