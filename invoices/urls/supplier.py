"""Supplier pages for invoices, inside the ``supplier`` namespace."""

from django.urls import path

from invoices.views import bulk, documents, imports, search, supplier, zips

urlpatterns = [
    path("search/", search.SupplierInvoiceSearchView.as_view(), name="invoice_search"),
    path(
        "search/export/",
        search.SupplierInvoiceExportView.as_view(),
        name="invoice_export",
    ),
    path("zips/<int:pk>/", zips.SupplierZipExportView.as_view(), name="invoice_zip"),
    path(
        "zips/<int:pk>/status/",
        zips.SupplierZipExportStatusView.as_view(),
        name="invoice_zip_status",
    ),
    path(
        "zips/<int:pk>/download/",
        zips.SupplierZipExportDownloadView.as_view(),
        name="invoice_zip_download",
    ),
    path("pdf-zip/", zips.SupplierInvoicePdfZipView.as_view(), name="invoice_pdf_zip"),
    path(
        "<int:pk>/print/",
        search.SupplierInvoicePrintView.as_view(),
        name="invoice_print",
    ),
    path("<int:pk>/", supplier.InvoiceDetailView.as_view(), name="invoice"),
    path(
        "<int:pk>/pdf/", documents.SupplierInvoicePdfView.as_view(), name="invoice_pdf"
    ),
    path("", supplier.InvoiceListView.as_view(), name="invoices"),
    path("new/", supplier.InvoiceCreateView.as_view(), name="invoice_new"),
    path("<int:pk>/edit/", supplier.InvoiceEditView.as_view(), name="invoice_edit"),
    path(
        "<int:pk>/delete/", supplier.InvoiceDeleteView.as_view(), name="invoice_delete"
    ),
    path("<int:pk>/copy/", supplier.InvoiceCopyView.as_view(), name="invoice_copy"),
    path(
        "<int:pk>/correct/",
        supplier.InvoiceCorrectView.as_view(),
        name="invoice_correct",
    ),
    path("<int:pk>/issue/", supplier.InvoiceIssueView.as_view(), name="invoice_issue"),
    path("bulk-issue/", bulk.BulkIssueView.as_view(), name="invoice_bulk_issue"),
    path(
        "<int:pk>/withdraw/",
        supplier.InvoiceWithdrawView.as_view(),
        name="invoice_withdraw",
    ),
    path(
        "<int:pk>/remind/", supplier.InvoiceRemindView.as_view(), name="invoice_remind"
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        supplier.AttachmentDownloadView.as_view(),
        name="invoice_attachment",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/",
        supplier.AttachmentDeleteView.as_view(),
        name="invoice_attachment_delete",
    ),
    path("import/", imports.InvoiceImportView.as_view(), name="invoice_import"),
    path(
        "import/template/",
        imports.InvoiceImportTemplateView.as_view(),
        name="invoice_import_template",
    ),
    path(
        "import/help/",
        imports.InvoiceImportHelpView.as_view(),
        name="invoice_import_help",
    ),
    path(
        "import/<int:pk>/",
        imports.InvoiceImportDetailView.as_view(),
        name="invoice_import_detail",
    ),
    path(
        "import/<int:pk>/status/",
        imports.InvoiceImportStatusView.as_view(),
        name="invoice_import_status",
    ),
    path(
        "import/<int:pk>/confirm/",
        imports.InvoiceImportConfirmView.as_view(),
        name="invoice_import_confirm",
    ),
    path(
        "export/upload-format/",
        imports.SupplierUploadFormatExportView.as_view(),
        name="invoice_export_upload_format",
    ),
]
