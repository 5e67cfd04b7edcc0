"""The ZIP of invoices' documents: 電子帳簿保存法's download in a usual
format (jp-invoice-law.md §3.3).

It holds each invoice's stored PDF (the legal document, rendered from the
frozen snapshot at issue), its attachments, and ``index.csv``: one row per
file with the search keys (取引年月日, 取引金額, 取引先 with its 登録番号)
and the receipt number, department, the file's name in the ZIP and its
SHA-256. No invoice is left out silently: a PDF that is not rendered yet is
rendered and stored now; one that cannot be (a draft, a failed render, a
lost file) gets a row saying so, with no file name.

The index is UTF-8 with a BOM (Excel opens it as it is): it must spell the
files' names exactly, and CP932 lacks characters a name may hold.
"""

import csv
import hashlib
import io
import logging
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext, gettext_lazy as _
from django_scopes.exceptions import ScopeError

from accounts.spreadsheets import csv_cell
from invoices.models import Invoice, InvoicePdf, PdfStatus
from invoices.presentation import invoice_parties
from invoices.services.pdf import invoice_pdf_ensure
from municipality.tenant_tasks import DATABASE_ERRORS

logger = logging.getLogger(__name__)

INDEX_NAME = "index.csv"
INDEX_HEADER = (
    _("受付番号"),
    _("請求書番号"),
    _("請求日"),
    _("取引年月日"),
    _("取引期間の終了日"),
    _("取引金額"),
    _("取引先"),
    _("登録番号"),
    _("自治体"),
    _("部署"),
    _("書類"),
    _("ファイル名"),
    "SHA-256",
    _("備考"),
)
PDF_DOCUMENT = _("請求書（PDF）")
ATTACHMENT_DOCUMENT = _("添付書類")
DRAFT_NO_PDF = _("下書きのため、PDFはありません（発行されていない請求書です）。")
PDF_NOT_RENDERED = _(
    "PDFを作成できなかったため、含めていません。"
    "時間をおいて、もう一度ダウンロードしてください。"
)
FILE_LOST = _(
    "保存されたファイルが見つからないため、含めていません。"
    "システム管理者に連絡してください。"
)
HASH_MISMATCH = _(
    "保存時のSHA-256（%(sha256)s）と一致しません。システム管理者に連絡してください。"
)

# Characters a file name may not hold on Windows, and path separators: a
# number or an attachment's name never makes a folder of its own.
_UNSAFE = str.maketrans(dict.fromkeys('/\\:*?"<>|\x00', "_"))
_CHUNK = 1024 * 1024

Progress = Callable[[int, int], None]


# Invoices read at a time when a job writes a ZIP of thousands.
ARCHIVE_CHUNK = 500


def _with_documents(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return invoices.select_related(
        "supplier", "municipality", "department", "pdf"
    ).prefetch_related("attachments")


def archive_load(invoices: QuerySet[Invoice]) -> list[Invoice]:
    """The invoices with what the ZIP needs (parties, stored PDF,
    attachments), read once, so that the file and the history record the
    same set."""
    return list(_with_documents(invoices))


def archive_iterate(invoices: QuerySet[Invoice]) -> Iterator[Invoice]:
    """``archive_load`` a chunk of ``ARCHIVE_CHUNK`` invoices at a time
    (their attachments read per chunk), for a ZIP of thousands in flat
    memory."""
    return _with_documents(invoices).iterator(chunk_size=ARCHIVE_CHUNK)


def _safe(text: str) -> str:
    """``text`` as one part of a file name: NFKC, no path separators or
    characters Windows refuses, no control characters, no leading dots."""
    text = unicodedata.normalize("NFKC", text).translate(_UNSAFE)
    text = "".join("_" if unicodedata.category(c)[0] == "C" else c for c in text)
    return text.strip().lstrip(".") or "_"


class _Names:
    """Unique names in one ZIP (two numbers may differ only in characters
    made safe, two attachments may share a name)."""

    def __init__(self):
        self.taken: set[str] = set()

    def take(self, stem: str, suffix: str = "") -> str:
        name, n = f"{stem}{suffix}", 1
        while name.casefold() in self.taken:
            n += 1
            name = f"{stem}_{n}{suffix}"
        self.taken.add(name.casefold())
        return name


def _stem(invoice: Invoice) -> str:
    """``<受付番号>_<請求書番号>``; a draft has no receipt number."""
    return "_".join(
        _safe(part)
        for part in (invoice.receipt_number or gettext("下書き"), invoice.number)
    )


@dataclass(frozen=True)
class _File:
    document: str
    name: str = ""  # in the ZIP; empty when the file is not there
    sha256: str = ""
    note: str = ""


def _copy(archive: zipfile.ZipFile, name: str, file: FieldFile) -> str:
    """Copy a stored file into the ZIP as ``name``; its SHA-256."""
    digest = hashlib.sha256()
    with file.open("rb") as source, archive.open(name, "w") as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def _stored_pdf(invoice: Invoice) -> InvoicePdf | str:
    """The invoice's stored PDF (rendered now if it is not yet), or why
    there is none."""
    if invoice.is_draft:
        return gettext(DRAFT_NO_PDF)
    pdf = getattr(invoice, "pdf", None)  # None: no PDF row yet
    if pdf is not None and pdf.status == PdfStatus.READY and pdf.file:
        return pdf
    try:
        return invoice_pdf_ensure(invoice=invoice)
    except (ScopeError, *DATABASE_ERRORS):
        raise  # the caller's mistake, or the database away: not the invoice's
    except Exception:  # the invoice's PDF fails: say so, keep the others
        logger.exception("PDF of invoice %s could not be rendered", invoice.pk)
        return gettext(PDF_NOT_RENDERED)


def _add(
    archive: zipfile.ZipFile,
    names: _Names,
    *,
    document: str,
    stem: str,
    suffix: str,
    file: FieldFile,
    stored_sha256: str,
) -> _File:
    name = names.take(stem, suffix)
    try:
        sha256 = _copy(archive, name, file)
    except FileNotFoundError:
        names.taken.discard(name.casefold())
        return _File(document, note=gettext(FILE_LOST))
    note = ""
    if stored_sha256 and stored_sha256 != sha256:
        note = gettext(HASH_MISMATCH) % {"sha256": stored_sha256}
    return _File(document, name, sha256, note)


def _invoice_files(
    archive: zipfile.ZipFile, names: _Names, invoice: Invoice
) -> list[_File]:
    stem = _stem(invoice)
    pdf = _stored_pdf(invoice)
    if isinstance(pdf, str):
        files = [_File(gettext(PDF_DOCUMENT), note=pdf)]
    else:
        files = [
            _add(
                archive,
                names,
                document=gettext(PDF_DOCUMENT),
                stem=stem,
                suffix=".pdf",
                file=pdf.file,
                stored_sha256=pdf.sha256,
            )
        ]
    for attachment in invoice.attachments.all():
        base, dot, extension = attachment.original_name.rpartition(".")
        if not dot:
            base, extension = attachment.original_name, ""
        files.append(
            _add(
                archive,
                names,
                document=gettext(ATTACHMENT_DOCUMENT),
                stem=f"{stem}/{_safe(base)}",
                suffix=f".{_safe(extension)}" if extension else "",
                file=attachment.file,
                stored_sha256=attachment.sha256,
            )
        )
    return files


def _index_row(invoice: Invoice, file: _File) -> list[str]:
    supplier, registration_number, municipality, department = invoice_parties(invoice)
    values = [
        invoice.receipt_number,
        invoice.number,
        invoice.issue_date,
        invoice.transaction_date,
        invoice.transaction_end_date,
        invoice.total,
        supplier,
        registration_number,
        municipality,
        department,
        file.document,
        file.name,
        file.sha256,
        file.note,
    ]
    return [csv_cell(value) for value in values]


def index_csv(rows: Iterable[list[str]]) -> bytes:
    """The index: a header and ``rows`` (cells already through
    ``csv_cell``), CRLF line endings, UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(str(label)) for label in INDEX_HEADER])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def invoices_zip_write(
    invoices: Iterable[Invoice],
    out: BinaryIO,
    *,
    progress: Progress | None = None,
    total: int | None = None,
) -> None:
    """Write the ZIP of ``invoices`` (loaded by ``archive_load`` or
    ``archive_iterate``) to ``out``: ``<受付番号>_<請求書番号>.pdf`` per
    invoice, its attachments in a folder of the same name, and
    ``index.csv``. ``progress(done, total)`` is called after each invoice;
    without ``total``, the invoices are counted first (a list of them)."""
    if total is None:
        invoices = list(invoices)
        total = len(invoices)
    names = _Names()
    names.take(INDEX_NAME)
    rows = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, invoice in enumerate(invoices, 1):
            rows.extend(
                _index_row(invoice, file)
                for file in _invoice_files(archive, names, invoice)
            )
            if progress is not None:
                progress(done, total)
        archive.writestr(INDEX_NAME, index_csv(rows))


def invoices_zip(invoices: Iterable[Invoice]) -> bytes:
    """``invoices_zip_write`` into memory: for a few invoices, while the
    user waits."""
    buffer = io.BytesIO()
    invoices_zip_write(invoices, buffer)
    return buffer.getvalue()
