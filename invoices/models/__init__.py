"""Invoices (請求書): a supplier's qualified invoice to one department.

An invoice is a draft until issued. Issuing freezes everything printed on it
into ``snapshot`` and ``content_hash``; from then on nothing about its
content changes, and it is never deleted (retention ≥ 10 years). A mistake
is corrected by a new invoice that references the returned one (``corrects``).
Every change of status, every opening, reminder, export and download is an
``InvoiceEvent`` in one hash chain (see ``invoices.audit``).
"""

from invoices.models.choices import (
    TAX_RATES,
    InvoiceStatus,
    ReturnReason,
    ReturnSeverity,
    TaxCategory,
    WithholdingKind,
)
from invoices.models.documents import (
    InvoiceAttachment,
    InvoicePdf,
    PdfStatus,
    attachment_upload_to,
    filename_part,
    pdf_upload_to,
)
from invoices.models.events import EventKind, InvoiceEvent
from invoices.models.exports import ZipExport, ZipExportStatus, zip_export_upload_to
from invoices.models.imports import ImportStatus, InvoiceImport, import_upload_to
from invoices.models.invoice import (
    WORKFLOW_FIELDS,
    DraftOnlyMixin,
    FrozenInvoiceError,
    Invoice,
)
from invoices.models.lines import InvoiceLine, InvoiceTaxSummary
from invoices.models.names import CounterpartyName
from invoices.models.receipts import ReceiptCounter

__all__ = [
    "TAX_RATES",
    "WORKFLOW_FIELDS",
    "CounterpartyName",
    "DraftOnlyMixin",
    "EventKind",
    "FrozenInvoiceError",
    "ImportStatus",
    "Invoice",
    "InvoiceAttachment",
    "InvoiceEvent",
    "InvoiceImport",
    "InvoiceLine",
    "InvoicePdf",
    "InvoiceStatus",
    "InvoiceTaxSummary",
    "PdfStatus",
    "ReceiptCounter",
    "ReturnReason",
    "ReturnSeverity",
    "TaxCategory",
    "WithholdingKind",
    "ZipExport",
    "ZipExportStatus",
    "attachment_upload_to",
    "filename_part",
    "import_upload_to",
    "pdf_upload_to",
    "zip_export_upload_to",
]
