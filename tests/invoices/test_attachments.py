"""Attachments (添付書類): judged by content, limited in size, stored with
their SHA-256 on drafts only, downloadable by the supplier's members only."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image
from pypdf import PdfWriter

from invoices.attachments import (
    ATTACHMENT_MAX_BYTES,
    attachment_add,
    attachment_check,
)
from invoices.models import Invoice, InvoiceAttachment
from invoices.services.issue import invoice_issue
from tests.factories import make_invoice
from tests.invoices.test_supplier_invoices import form_data

pytestmark = pytest.mark.django_db

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, format="PNG")
    return out.getvalue()


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return out.getvalue()


def _ole2(*streams: str) -> bytes:
    return OLE2 + b"".join(name.encode("utf-16-le") + bytes(64) for name in streams)


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def draft(connection, supplier_user):
    with scopes_disabled():
        return make_invoice(connection=connection, actor=supplier_user, issue=False)


@pytest.fixture
def attachment(draft):
    with scopes_disabled():
        return attachment_add(
            invoice=draft, checked=attachment_check(_upload("見積書.pdf", _pdf()))
        )


def _attachments(supplier):
    with scopes_disabled():
        return list(InvoiceAttachment.objects.filter(invoice__supplier=supplier))


def _invoice_count(supplier):
    with scopes_disabled():
        return Invoice.objects.filter(supplier=supplier).count()


def _create(member, connection, *uploads):
    data = form_data(connection) | {"attachments": list(uploads)}
    return member.post(reverse("supplier:invoice_new"), data)


# Through the entry screen ---------------------------------------------------


def test_a_real_pdf_is_stored_with_its_hash_and_downloads_as_an_attachment(
    member, supplier, connection
):
    pdf = _pdf()
    assert _create(member, connection, _upload("見積書.pdf", pdf)).status_code == 302
    (attachment,) = _attachments(supplier)
    assert attachment.original_name == "見積書.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(pdf)
    assert attachment.sha256 == hashlib.sha256(pdf).hexdigest()
    assert attachment.file.name.endswith(".pdf")
    assert "見積書" not in attachment.file.name  # a random stored name

    url = reverse(
        "supplier:invoice_attachment", args=[attachment.invoice_id, attachment.pk]
    )
    response = member.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf


def test_a_png_named_pdf_is_stored_as_the_png_it_is(member, supplier, connection):
    _create(member, connection, _upload("scan.pdf", _png()))
    (attachment,) = _attachments(supplier)
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "scan.png"
    assert attachment.file.name.endswith(".png")


def test_a_program_named_pdf_is_refused_and_nothing_is_saved(
    member, supplier, connection
):
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)
    response = _create(member, connection, _upload("setup.pdf", exe))
    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == [
        "「setup.pdf」はPDF、画像（PNG・JPEG・GIF）、Word・Excel・PowerPointの"
        "ファイルとして読み取れません。これらの形式で保存し直してから添付してください"
        "（拡張子を変えるだけでは形式は変わりません）。"
    ]
    assert _invoice_count(supplier) == 0
    assert _attachments(supplier) == []


def test_a_file_over_10_mb_is_refused(member, supplier, connection):
    big = b"%PDF-1.7\n" + bytes(ATTACHMENT_MAX_BYTES)
    response = _create(member, connection, _upload("図面.pdf", big))
    (message,) = response.context["form"].errors["attachments"]
    assert message.startswith("「図面.pdf」は10.0MBあります。")
    assert "1ファイル10MBまで" in message
    assert _invoice_count(supplier) == 0


def test_every_refused_file_is_named(member, supplier, connection):
    response = _create(
        member, connection, _upload("a.pdf", b"hello"), _upload("b.xlsx", b"")
    )
    errors = response.context["form"].errors["attachments"]
    assert [e.split("」")[0] for e in errors] == ["「a.pdf", "「b.xlsx"]
    assert _invoice_count(supplier) == 0


def test_attachments_can_be_added_when_editing_a_draft(member, supplier, draft):
    data = form_data(draft.connection, number=draft.number) | {
        "attachments": [_upload("納品書.png", _png())]
    }
    member.post(reverse("supplier:invoice_edit", args=[draft.pk]), data)
    (attachment,) = _attachments(supplier)
    assert attachment.invoice_id == draft.pk


# By content -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(20), "image/jpeg"),
        ("anim.gif", b"GIF89a" + bytes(20), "image/gif"),
        (
            "請求明細.docx",
            _zip("[Content_Types].xml", "word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "内訳.xlsx",
            _zip("[Content_Types].xml", "xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "説明.pptx",
            _zip("[Content_Types].xml", "ppt/presentation.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("古い文書.doc", _ole2("Root Entry", "WordDocument"), "application/msword"),
        ("古い表.xls", _ole2("Root Entry", "Workbook"), "application/vnd.ms-excel"),
    ],
)
def test_office_files_and_images_are_recognised_by_content(name, content, content_type):
    checked = attachment_check(_upload(name, content))
    assert checked.kind.content_type == content_type
    assert checked.name == name


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (_zip("readme.txt"), "wrong_format"),
        (_zip("[Content_Types].xml", "docProps/app.xml"), "wrong_format"),
        (b"PK\x03\x04 not really a zip", "wrong_format"),
        (_zip("[Content_Types].xml", "xl/workbook.xml", "xl/vbaProject.bin"), "macros"),
        (_ole2("Root Entry", "WordDocument", "_VBA_PROJECT"), "macros"),
        (_ole2("Root Entry", "SummaryInformation"), "wrong_format"),  # e.g. .msi
        (b"<html><script>alert(1)</script></html>", "wrong_format"),
        (b"BM" + bytes(40), "wrong_format"),  # a bitmap, not an allowed image
        (b"", "empty"),
    ],
)
def test_other_contents_are_refused(content, code):
    with pytest.raises(ValidationError) as caught:
        attachment_check(_upload("書類.xlsx", content))
    assert caught.value.code == code
    assert "「書類.xlsx」" in caught.value.message


def test_a_name_without_the_right_extension_gets_one():
    assert attachment_check(_upload("scan", _png())).name == "scan.png"
    assert attachment_check(_upload("写真.JPEG", b"\xff\xd8\xff")).name == "写真.JPEG"
    long = attachment_check(_upload("あ" * 250 + ".pdf", _png())).name
    assert len(long) == 200
    assert long.endswith(".png")


# Drafts only ----------------------------------------------------------------


def test_an_attachment_of_a_draft_can_be_deleted_with_its_file(
    member, attachment, django_capture_on_commit_callbacks
):
    name = attachment.file.name
    assert default_storage.exists(name)
    url = reverse(
        "supplier:invoice_attachment_delete",
        args=[attachment.invoice_id, attachment.pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(url, follow=True)
    assert "添付書類「見積書.pdf」を削除しました。" in [
        str(m) for m in response.context["messages"]
    ]
    with scopes_disabled():
        assert not InvoiceAttachment.objects.filter(pk=attachment.pk).exists()
    assert not default_storage.exists(name)


def test_deleting_a_draft_removes_its_attachment_files(
    member, attachment, django_capture_on_commit_callbacks
):
    name = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        member.post(reverse("supplier:invoice_delete", args=[attachment.invoice_id]))
    assert not default_storage.exists(name)


def test_an_issued_invoices_attachment_stays_and_still_downloads(
    member, supplier_user, attachment
):
    with scopes_disabled():
        invoice_issue(invoice=attachment.invoice, actor=supplier_user)
    args = [attachment.invoice_id, attachment.pk]
    page = member.get(reverse("supplier:invoice", args=args[:1])).content.decode()
    assert "見積書.pdf" in page
    assert reverse("supplier:invoice_attachment_delete", args=args) not in page
    response = member.post(
        reverse("supplier:invoice_attachment_delete", args=args), follow=True
    )
    (message,) = response.context["messages"]
    assert "発行済みの請求書は変更・削除できません" in str(message)
    assert default_storage.exists(attachment.file.name)
    download = member.get(reverse("supplier:invoice_attachment", args=args))
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == attachment.sha256


# Who may have it -----------------------------------------------------------


def test_another_supplier_gets_404_for_the_attachment(
    client, attachment, other_supplier_user
):
    client.force_login(other_supplier_user)
    args = [attachment.invoice_id, attachment.pk]
    download = reverse("supplier:invoice_attachment", args=args)
    assert client.get(download).status_code == 404
    delete = reverse("supplier:invoice_attachment_delete", args=args)
    assert client.post(delete).status_code == 404
    assert default_storage.exists(attachment.file.name)


def test_an_attachment_is_found_only_under_its_own_invoice(
    member, attachment, connection, supplier_user
):
    with scopes_disabled():
        other = make_invoice(connection=connection, actor=supplier_user, issue=False)
    url = reverse("supplier:invoice_attachment", args=[other.pk, attachment.pk])
    assert member.get(url).status_code == 404
