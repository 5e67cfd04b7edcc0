"""Files made from search results: a CSV for Excel and other systems, and a
ZIP of the invoices' printable documents (電子帳簿保存法's download in a
usual format). Pure builders: invoices in, bytes out; the views record the
export in each invoice's history."""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from invoices.models import Invoice, TaxCategory
from invoices.presentation import invoice_document

# More at once belongs to a background job (a later issue).
EXPORT_LIMIT = 5000

CSV_UTF8 = "csv-utf8"
CSV_CP932 = "csv-cp932"
ZIP = "zip"

CSV_HEADER = (
    "請求書番号",
    "受付番号",
    "取引先",
    "登録番号",
    "自治体",
    "部署",
    "請求日",
    "取引日",
    "取引終了日",
    "支払期日",
    "件名",
    "税抜/税込",
    "10%対象",
    "10%税額",
    "8%対象",
    "8%税額",
    "請求金額",
    "状態",
    "受付日時",
    "開封日時",
    "支払期限",
)

# Excel runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^\w\-]+")


def export_load(invoices: QuerySet[Invoice]) -> list[Invoice]:
    """The invoices with what the files need, read once, so that the file
    and the history record the same set."""
    return list(
        invoices.select_related(
            "supplier", "municipality", "department"
        ).prefetch_related("tax_summaries")
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else ""


def _parties(invoice: Invoice) -> tuple[str, str, str, str]:
    """Supplier, registration number, municipality and department as printed
    on the invoice once issued (they may have changed since), else live."""
    if invoice.is_draft:
        return (
            invoice.supplier.legal_name,
            invoice.supplier.registration_number,
            invoice.municipality.name,
            invoice.department.name,
        )
    supplier, addressee = invoice.snapshot["supplier"], invoice.snapshot["addressee"]
    return (
        supplier["name"],
        supplier["registration_number"],
        addressee["municipality"],
        addressee["department"],
    )


def _row(invoice: Invoice) -> list[str]:
    taxes = {s.tax_category: s for s in invoice.tax_summaries.all()}
    standard, reduced = taxes.get(TaxCategory.STANDARD), taxes.get(TaxCategory.REDUCED)
    values = [
        invoice.number,
        invoice.receipt_number,
        *_parties(invoice),
        invoice.issue_date,
        invoice.transaction_date,
        invoice.transaction_end_date,
        invoice.due_date,
        invoice.subject,
        invoice.get_price_basis_display(),
        standard.taxable_amount if standard else "",
        standard.tax_amount if standard else "",
        reduced.taxable_amount if reduced else "",
        reduced.tax_amount if reduced else "",
        invoice.total,
        invoice.get_status_display(),
        _local(invoice.received_at),
        _local(invoice.opened_at),
        invoice.payment_deadline,
    ]
    return [_cell(value) for value in values]


def invoices_csv(invoices: Iterable[Invoice], *, encoding: str) -> bytes:
    """The invoices as CSV with a Japanese header and CRLF line endings.

    ``CSV_UTF8`` starts with a BOM, without which Excel misreads UTF-8;
    ``CSV_CP932`` is what Japanese Excel opens directly, and a character
    CP932 lacks becomes ``?`` rather than failing the whole export.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_row(invoice) for invoice in invoices)
    if encoding == CSV_CP932:
        return out.getvalue().encode("cp932", errors="replace")
    return out.getvalue().encode("utf-8-sig")


def _document_name(invoice: Invoice, taken: set[str]) -> str:
    stem = "_".join(
        _UNSAFE_FILENAME.sub("_", unicodedata.normalize("NFKC", part)).strip("_")
        for part in (invoice.receipt_number or "下書き", invoice.number)
    )
    name, n = f"{stem}.html", 1
    while name in taken:  # two numbers that differ only in unsafe characters
        n += 1
        name = f"{stem}_{n}.html"
    taken.add(name)
    return name


def invoice_print_html(invoice: Invoice) -> str:
    """The invoice as a standalone printable page (its styles inline)."""
    return render_to_string(
        "invoices/print.html", {"invoice": invoice, "doc": invoice_document(invoice)}
    )


def invoices_zip(invoices: Iterable[Invoice]) -> bytes:
    """One printable HTML file per invoice, named ``<受付番号>_<請求書番号>.html``."""
    buffer = io.BytesIO()
    taken: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            archive.writestr(
                _document_name(invoice, taken), invoice_print_html(invoice)
            )
    return buffer.getvalue()
