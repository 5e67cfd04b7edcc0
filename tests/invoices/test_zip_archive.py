"""The ZIP of invoices' documents (電子帳簿保存法's download) as built:
the stored PDFs, the attachments and an index CSV with the search keys, a
row (with the reason) for every invoice whose PDF is not there, safe and
unique file names. How it is asked for and served: test_zip_exports.py."""

import csv
import hashlib
import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from invoices import archive
from invoices.attachments import attachment_add, attachment_check
from invoices.models import Invoice, InvoicePdf, PdfStatus
from invoices.services.issue import invoice_issue
from tests.factories import make_invoice
from tests.invoices.test_attachments import _pdf, _png

pytestmark = pytest.mark.django_db

H = {str(label): n for n, label in enumerate(archive.INDEX_HEADER)}


def _with_attachments(connection, user, *, number, files=(), issue=True, **fields):
    invoice = make_invoice(
        connection=connection, actor=user, issue=False, number=number, **fields
    )
    for name, data, content_type in files:
        upload = SimpleUploadedFile(name, data, content_type=content_type)
        attachment_add(invoice=invoice, checked=attachment_check(upload))
    return invoice_issue(invoice=invoice, actor=user) if issue else invoice


def make_zip_invoices(connection, supplier_user, capture_on_commit) -> list:
    """Two issued invoices with their PDFs rendered (as the task does after
    issue), the first with a PNG and a PDF attachment; and a draft."""
    with scopes_disabled(), capture_on_commit(execute=True):
        return [
            _with_attachments(
                connection,
                supplier_user,
                number="INV-1",
                transaction_date=date(2025, 4, 1),
                files=[
                    ("納品書.png", _png(), "image/png"),
                    ("検査調書.pdf", _pdf(), "application/pdf"),
                ],
            ),
            _with_attachments(
                connection,
                supplier_user,
                number="INV-2",
                transaction_date=date(2025, 4, 2),
            ),
            _with_attachments(
                connection,
                supplier_user,
                number="INV-3",
                transaction_date=date(2025, 4, 3),
                issue=False,
            ),
        ]


@pytest.fixture
def invoices(connection, supplier_user, django_capture_on_commit_callbacks):
    return make_zip_invoices(
        connection, supplier_user, django_capture_on_commit_callbacks
    )


def _zip(*invoices) -> zipfile.ZipFile:
    """The ZIP of ``invoices`` built as the views build it, in their
    municipality's scope."""
    with scope(municipality=invoices[0].municipality_id):
        loaded = archive.archive_load(
            Invoice.objects.filter(pk__in=[i.pk for i in invoices]).order_by("pk")
        )
        return zipfile.ZipFile(io.BytesIO(archive.invoices_zip(loaded)))


def index_rows(zip_file: zipfile.ZipFile) -> list[list[str]]:
    data = zip_file.read("index.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def _stored_pdf(invoice) -> InvoicePdf:
    with scopes_disabled():
        return InvoicePdf.objects.get(invoice=invoice)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# The builder -----------------------------------------------------------------


def test_zip_holds_the_stored_pdfs_the_attachments_and_the_index(invoices):
    first, second, _ = invoices
    zip_file = _zip(first, second)
    stem1 = f"{first.receipt_number}_INV-1"
    stem2 = f"{second.receipt_number}_INV-2"
    assert sorted(zip_file.namelist()) == sorted(
        [
            f"{stem1}.pdf",
            f"{stem1}/納品書.png",
            f"{stem1}/検査調書.pdf",
            f"{stem2}.pdf",
            "index.csv",
        ]
    )
    # The PDF stored at issue, byte for byte: the legal document.
    pdf = zip_file.read(f"{stem1}.pdf")
    with _stored_pdf(first).file.open("rb") as f:
        assert pdf == f.read()
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert first.snapshot["supplier"]["name"] in text
    assert "コピー用紙 A4" in text
    assert zip_file.read(f"{stem1}/納品書.png") == _png()


def test_the_index_has_the_search_keys_and_a_row_per_file(invoices, tenant):
    first, second, _ = invoices
    zip_file = _zip(first, second)
    header, *rows = index_rows(zip_file)
    assert header == [str(label) for label in archive.INDEX_HEADER]
    assert header[:6] == [
        "受付番号",
        "請求書番号",
        "請求日",
        "取引年月日",
        "取引期間の終了日",
        "取引金額",
    ]
    assert [(r[H["請求書番号"]], r[H["書類"]]) for r in rows] == [
        ("INV-1", "請求書（PDF）"),
        ("INV-1", "添付書類"),
        ("INV-1", "添付書類"),
        ("INV-2", "請求書（PDF）"),
    ]
    supplier = first.snapshot["supplier"]
    for row in rows:
        invoice = first if row[H["請求書番号"]] == "INV-1" else second
        assert row[H["受付番号"]] == invoice.receipt_number
        assert row[H["取引年月日"]] == invoice.transaction_date.isoformat()
        assert row[H["取引金額"]] == str(invoice.total) == "5338"
        assert row[H["取引先"]] == supplier["name"]
        assert row[H["登録番号"]] == supplier["registration_number"]
        assert row[H["部署"]] == tenant.department.name
        # Every file named is in the ZIP, with the SHA-256 of its bytes.
        data = zip_file.read(row[H["ファイル名"]])
        assert row[H["SHA-256"]] == hashlib.sha256(data).hexdigest()
        assert row[H["備考"]] == ""
    assert rows[0][H["SHA-256"]] == _stored_pdf(first).sha256


def test_a_pdf_not_rendered_yet_is_rendered_and_stored(connection, supplier_user):
    with scopes_disabled():  # issued, but its task has not run
        invoice = make_invoice(connection=connection, actor=supplier_user)
    assert _stored_pdf(invoice).status == PdfStatus.PENDING
    zip_file = _zip(invoice)
    pdf = _stored_pdf(invoice)
    assert pdf.status == PdfStatus.READY
    data = zip_file.read(f"{invoice.receipt_number}_{invoice.number}.pdf")
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == pdf.sha256
    # Stored once: the next ZIP holds the same file.
    second = _zip(invoice)
    assert second.read(f"{invoice.receipt_number}_{invoice.number}.pdf") == data


def test_an_invoice_without_its_pdf_is_listed_with_the_reason(
    invoices, connection, supplier_user, monkeypatch
):
    first, second, draft = invoices
    with scopes_disabled():
        unrendered = make_invoice(
            connection=connection, actor=supplier_user, number="INV-4"
        )
    pdf = _stored_pdf(second)
    pdf.file.storage.delete(pdf.file.name)  # lost from storage

    def broken(*, invoice):
        raise RuntimeError("WeasyPrint failed")

    monkeypatch.setattr(archive, "invoice_pdf_ensure", broken)
    zip_file = _zip(first, second, draft, unrendered)
    _, *rows = index_rows(zip_file)
    notes = {
        r[H["請求書番号"]]: (r[H["ファイル名"]], r[H["SHA-256"]], r[H["備考"]])
        for r in rows
        if r[H["書類"]] == "請求書（PDF）"
    }
    assert notes["INV-1"][0].endswith("INV-1.pdf")
    assert notes["INV-2"] == ("", "", str(archive.FILE_LOST))
    assert notes["INV-3"] == ("", "", str(archive.DRAFT_NO_PDF))
    assert notes["INV-4"] == ("", "", str(archive.PDF_NOT_RENDERED))
    assert draft.receipt_number == ""
    assert not any(name.endswith("INV-2.pdf") for name in zip_file.namelist())


def test_a_pdf_changed_in_storage_is_flagged_in_the_index(invoices):
    pdf = _stored_pdf(invoices[1])
    with pdf.file.storage.open(pdf.file.name, "wb") as f:
        f.write(b"%PDF-1.7 altered")
    _, *rows = index_rows(_zip(invoices[1]))
    (row,) = rows
    assert row[H["SHA-256"]] == hashlib.sha256(b"%PDF-1.7 altered").hexdigest()
    assert pdf.sha256 in row[H["備考"]]


def test_file_names_are_made_safe_and_unique(connection, supplier_user):
    with scopes_disabled():
        invoices = [
            _with_attachments(
                connection,
                supplier_user,
                number=number,
                files=[("../../x.png", _png(), "image/png")] * 2,
            )
            for number in ("../../etc/passwd", "..\\etc/passwd", "A:B*C")
        ]
    names = _zip(*invoices).namelist()
    receipt = [invoice.receipt_number for invoice in invoices]
    assert sorted(names) == sorted(
        [
            f"{receipt[0]}__.._etc_passwd.pdf",
            f"{receipt[0]}__.._etc_passwd/x.png",
            f"{receipt[0]}__.._etc_passwd/x_2.png",
            f"{receipt[1]}__etc_passwd.pdf",
            f"{receipt[1]}__etc_passwd/x.png",
            f"{receipt[1]}__etc_passwd/x_2.png",
            f"{receipt[2]}_A_B_C.pdf",
            f"{receipt[2]}_A_B_C/x.png",
            f"{receipt[2]}_A_B_C/x_2.png",
            "index.csv",
        ]
    )


def test_the_index_escapes_formulas(connection, supplier_user):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection, actor=supplier_user, number="=1+1"
        )
    _, row = index_rows(_zip(invoice))
    assert row[H["請求書番号"]] == "'=1+1"
