"""Supplier pages for JP PINT, inside the ``supplier`` namespace."""

from django.urls import path

from peppol.views import documents, inbound

urlpatterns = [
    path("pint/upload/", inbound.PintUploadView.as_view(), name="pint_upload"),
    path(
        "pint/upload/<int:pk>/",
        inbound.PintUploadDetailView.as_view(),
        name="pint_upload_detail",
    ),
    path(
        "pint/upload/<int:pk>/confirm/",
        inbound.PintUploadConfirmView.as_view(),
        name="pint_upload_confirm",
    ),
    path(
        "pint/invoices/<int:pk>/original.xml",
        inbound.SupplierOriginalXmlView.as_view(),
        name="invoice_original_xml",
    ),
    path(
        "invoices/<int:pk>/xml/",
        documents.SupplierInvoiceXmlView.as_view(),
        name="invoice_xml",
    ),
]
