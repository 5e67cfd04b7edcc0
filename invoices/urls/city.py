"""City staff pages for invoices, inside the ``city`` namespace."""

from django.urls import path

from invoices.views import bulk, city, documents, imports, search, zips

urlpatterns = [
    path("search/", search.CityInvoiceSearchView.as_view(), name="invoice_search"),
    path(
        "search/export/",
        search.CityInvoiceExportView.as_view(),
        name="invoice_export",
    ),
    path("zips/<int:pk>/", zips.CityZipExportView.as_view(), name="invoice_zip"),
    path(
        "zips/<int:pk>/status/",
        zips.CityZipExportStatusView.as_view(),
        name="invoice_zip_status",
    ),
    path(
        "zips/<int:pk>/download/",
        zips.CityZipExportDownloadView.as_view(),
        name="invoice_zip_download",
    ),
    path(
        "<int:pk>/print/",
        search.CityInvoicePrintView.as_view(),
        name="invoice_print",
    ),
    path(
        "bulk-approve/",
        bulk.BulkApproveView.as_view(),
        name="invoice_bulk_approve",
    ),
    path("<int:pk>/", city.InvoiceDetailView.as_view(), name="invoice"),
    path("<int:pk>/pdf/", documents.CityInvoicePdfView.as_view(), name="invoice_pdf"),
    path("<int:pk>/return/", city.InvoiceReturnView.as_view(), name="invoice_return"),
    path(
        "<int:pk>/approve/", city.InvoiceApproveView.as_view(), name="invoice_approve"
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        city.InvoiceAttachmentView.as_view(),
        name="invoice_attachment",
    ),
    path(
        "export/upload-format/",
        imports.CityUploadFormatExportView.as_view(),
        name="invoice_export_upload_format",
    ),
]
