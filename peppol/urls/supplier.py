"""Supplier pages for JP PINT, inside the ``supplier`` namespace."""

from django.urls import path

from peppol.views import inbound

urlpatterns = [
    path("upload/", inbound.PintUploadView.as_view(), name="pint_upload"),
    path(
        "upload/<int:pk>/",
        inbound.PintUploadDetailView.as_view(),
        name="pint_upload_detail",
    ),
    path(
        "upload/<int:pk>/confirm/",
        inbound.PintUploadConfirmView.as_view(),
        name="pint_upload_confirm",
    ),
    path(
        "invoices/<int:pk>/original.xml",
        inbound.SupplierOriginalXmlView.as_view(),
        name="invoice_original_xml",
    ),
]
