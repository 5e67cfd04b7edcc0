"""Supplier pages for JP PINT, inside the ``supplier`` namespace."""

from django.urls import path

from peppol import views_inbound as views

urlpatterns = [
    path("upload/", views.PintUploadView.as_view(), name="pint_upload"),
    path(
        "upload/<int:pk>/",
        views.PintUploadDetailView.as_view(),
        name="pint_upload_detail",
    ),
    path(
        "upload/<int:pk>/confirm/",
        views.PintUploadConfirmView.as_view(),
        name="pint_upload_confirm",
    ),
    path(
        "invoices/<int:pk>/original.xml",
        views.SupplierOriginalXmlView.as_view(),
        name="invoice_original_xml",
    ),
]
