"""HTTP hardening (config.middleware): the Content-Security-Policy of every
page, no caching of downloads and signed-in pages, and request bodies
refused from their length before a byte is read.

What the policy does in a browser (every page of every role, and the pages'
scripts) is in tests/browser/test_content_security_policy.py.
"""

import base64
import hashlib
import io
import re
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from invoices.attachments import ATTACHMENT_MAX_BYTES, attachment_add, attachment_check
from invoices.forms.imports import IMPORT_MAX_BYTES
from invoices.models import InvoiceImport
from invoices.services.decisions import invoice_approve
from invoices.services.issue import invoice_issue
from municipality.models import PaymentNotice
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from partners.images import SEAL_MAX_BYTES
from tests.factories import UserFactory, make_invoice, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def _policy(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def _style_hash(css: str) -> str:
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Content-Security-Policy ----------------------------------------------------


@pytest.fixture
def platform_admin():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (None, "/accounts/login/"),
        (None, "/p/kanoya/request/"),
        (None, "/no-such-page/"),
        ("supplier", "/supplier/"),
        ("supplier", "/supplier/invoices/new/"),
        ("staff", "/m/kanoya/inbox/"),
        ("admin", "/admin/"),
    ],
)
def test_every_page_sends_the_policy(
    client, tenant, supplier_user, platform_admin, who, path
):
    users = {
        "supplier": supplier_user,
        "staff": tenant.department_staff,
        "admin": platform_admin,
    }
    if who:
        client.force_login(users[who])
    policy = _policy(client.get(path))
    # Scripts and styles only from our own files: no inline script at all,
    # and inline styles only by the hash of the printable invoice.
    assert {name: policy[name] for name in EXPECTED_POLICY} == EXPECTED_POLICY
    assert "'self'" in policy["style-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set().union(*policy.values())


def test_debug_error_pages_are_left_without_the_policy(client, settings):
    """Django's technical 404 and 500 pages (DEBUG only) style themselves
    inline; ordinary pages keep the policy under DEBUG too."""
    settings.DEBUG = True
    assert "Content-Security-Policy" not in client.get("/no-such-page/").headers
    assert "Content-Security-Policy" in client.get("/accounts/login/").headers


# Served templates (not the emails, nor the HTML WeasyPrint turns into PDFs).
_SERVED = [
    path
    for path in sorted((ROOT / "templates").rglob("*.html"))
    if not {"emails", "pdf"} & set(path.relative_to(ROOT / "templates").parts)
]
_INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)"),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "style block": re.compile(r"<style(?!>{% include \"invoices/print\.css\" %}</)"),
}


@pytest.mark.parametrize(
    "template", _SERVED, ids=lambda p: str(p.relative_to(ROOT / "templates"))
)
def test_templates_hold_no_inline_script_or_style(template):
    """The policy would block them; scripts go to static/js/, styles to
    static/css/portal.css."""
    text = template.read_text(encoding="utf-8")
    found = [what for what, pattern in _INLINE.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)}: {', '.join(found)}"


def test_the_printable_invoice_keeps_its_styles_inline_allowed_by_hash(
    client, supplier_user, tenant
):
    """The print view's <style> is allowed by its hash."""
    with scopes_disabled():
        invoice = make_approved(
            tenant,
            supplier_user,
            supplier_user.supplier_membership.supplier.connections.get(),
        )
    client.force_login(supplier_user)
    response = client.get(reverse("supplier:invoice_print", args=[invoice.pk]))
    (css,) = re.findall(r"<style>(.*?)</style>", response.content.decode(), re.S)
    assert ".invoice-document__head" in css
    assert _style_hash(css) in _policy(response)["style-src"]


# Cache-Control ----------------------------------------------------------------


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def paid_world(tenant, django_capture_on_commit_callbacks):
    """A supplier with a seal image and an attachment on an approved invoice,
    both invoices paid in one batch (Zengin file, accounting CSV, payment
    notice), every PDF rendered."""
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        supplier = connection.supplier
        supplier.seal_image.save("seal.jpg", ContentFile(_jpeg()))
        draft = make_invoice(connection=connection, actor=user, issue=False)
        attachment = attachment_add(
            invoice=draft,
            checked=attachment_check(
                SimpleUploadedFile("見積書.png", _png(), "image/png")
            ),
        )
        invoice_issue(invoice=draft, actor=user)
        invoices = [
            invoice_approve(
                invoice=draft,
                actor=tenant.department_staff,
                inspection_date=timezone.localdate(),
            ),
            make_approved(tenant, user, connection),
        ]
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
        )
        batch_export(batch=batch, actor=tenant.treasury)
        payment_day_reached(batch)
        batch_mark_paid(batch=batch, actor=tenant.treasury)
        notice = PaymentNotice.objects.get(batch=batch)
    return {
        "supplier_user": user,
        "supplier": supplier,
        "invoice": invoices[0],
        "attachment": attachment,
        "batch": batch,
        "notice": notice,
    }


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, format="PNG")
    return out.getvalue()


def test_every_download_is_kept_by_no_cache(client, tenant, paid_world):
    """Invoice PDFs, attachments, CSV and ZIP exports, the CSV template, the
    printable invoice, the Zengin file, the accounting CSV, payment notices
    and the seal image: ``no-store`` (no cache may keep them, not even the
    browser's) and ``private``."""
    w = paid_world
    invoice, attachment = w["invoice"], w["attachment"]
    city = {"municipality_slug": "kanoya"}
    seal = w["supplier"].seal_image.name.rsplit("/", 1)[-1]
    downloads = {
        w["supplier_user"]: [
            reverse("supplier:invoice_pdf", args=[invoice.pk]),
            reverse("supplier:invoice_print", args=[invoice.pk]),
            reverse("supplier:invoice_attachment", args=[invoice.pk, attachment.pk]),
            reverse("supplier:invoice_export") + "?format=csv-utf8",
            reverse("supplier:invoice_export") + "?format=csv-cp932",
            reverse("supplier:invoice_export") + "?format=zip",
            reverse("supplier:invoice_export_upload_format") + "?format=csv-cp932",
            reverse("supplier:invoice_import_template"),
            reverse("supplier:payment_notice_pdf", args=[w["notice"].pk]),
            reverse("supplier:seal", kwargs={"name": seal}),
        ],
        tenant.department_staff: [
            reverse("city:invoice_pdf", kwargs={**city, "pk": invoice.pk}),
            reverse("city:invoice_print", kwargs={**city, "pk": invoice.pk}),
            reverse(
                "city:invoice_attachment",
                kwargs={**city, "pk": invoice.pk, "attachment_pk": attachment.pk},
            ),
            reverse("city:invoice_export", kwargs=city) + "?format=zip",
            reverse("city:invoice_export", kwargs=city) + "?format=csv-utf8",
            reverse("city:invoice_export_upload_format", kwargs=city)
            + "?format=csv-utf8",
        ],
        tenant.treasury: [
            reverse("city:batch_zengin", kwargs={**city, "pk": w["batch"].pk}),
            reverse("city:batch_accounting_csv", kwargs={**city, "pk": w["batch"].pk}),
        ],
    }
    cached = []
    for user, urls in downloads.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            if response.streaming:
                # Reading to the end closes the file a FileResponse holds
                # (response.close() would also close the test's database
                # connection, through request_finished, on PostgreSQL).
                b"".join(response.streaming_content)
            assert response.status_code == 200, url
            directives = {
                d.strip() for d in response.get("Cache-Control", "").split(",")
            }
            if not {"no-store", "private"} <= directives or any(
                d.startswith("max-age=") and d != "max-age=0" for d in directives
            ):
                cached.append(f"{url}: {response.get('Cache-Control')!r}")
    assert not cached, "downloads a cache may keep:\n" + "\n".join(cached)


def test_signed_in_pages_are_not_stored_public_pages_may_be(client, supplier_user):
    assert "no-store" not in client.get("/p/kanoya/request/").get("Cache-Control", "")
    client.force_login(supplier_user)
    for path in ("/supplier/", "/supplier/invoices/", "/accounts/notifications/"):
        assert client.get(path)["Cache-Control"] == "no-store, private", path


# Request body size ------------------------------------------------------------


def test_every_upload_limit_fits_the_request_limit():
    """The CSV upload is the largest file anyone may send; the request limit
    leaves room for it and the form's other fields."""
    assert IMPORT_MAX_BYTES == settings.MAX_UPLOAD_BYTES
    assert max(ATTACHMENT_MAX_BYTES, SEAL_MAX_BYTES) <= settings.MAX_UPLOAD_BYTES
    assert settings.REQUEST_BODY_MAX_BYTES == (
        settings.MAX_UPLOAD_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, supplier_user):
    """Only the declared length is looked at: the body sent is one byte, which
    the upload view would fail to read as the promised multipart body."""
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:invoice_import"),
        data=b"x",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1),
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "送信できる大きさを超えています" in page
    assert "合計20MBまで" in page
    assert "Content-Security-Policy" in response.headers
    with scopes_disabled():
        assert not InvoiceImport.objects.exists()


def test_the_largest_upload_still_reaches_the_form(client, supplier_user):
    """A CSV one byte over the upload limit is not cut off by the request
    limit: the form says what is wrong."""
    client.force_login(supplier_user)
    upload = SimpleUploadedFile(
        "big.csv", b"a" * (settings.MAX_UPLOAD_BYTES + 1), "text/csv"
    )
    response = client.post(
        reverse("supplier:invoice_import"), {"file": upload, "mode": "draft"}
    )
    assert response.status_code == 200
    assert "ファイルが大きすぎます" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_huge_declared_body_gets_413_at_once_from_a_live_server(live_server):
    """A client that announces a gigabyte and sends nothing is answered at
    once: nothing waits for the body (before, the login view's CSRF check
    waited to read it)."""
    host, port = live_server.thread.host, live_server.thread.port
    request = (
        "POST /accounts/login/ HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: multipart/form-data; boundary=BoUnDaRy\r\n"
        f"Content-Length: {1024**3}\r\n"
        "\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        conn.settimeout(5)
        try:
            head = conn.recv(64)
        except TimeoutError:
            head = b""
    assert head.startswith(b"HTTP/1.1 413"), head or "no answer within 5 s"
    assert time.monotonic() - started < 5
