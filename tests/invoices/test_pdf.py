"""Invoice PDFs: Japanese text really embedded, every required item, and no
fetching outside the project's static files."""

import io
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled
from PIL import Image, ImageDraw
from pypdf import PdfReader

from invoices.pdf import (
    STATIC_BASE,
    StaticOnlyFetcher,
    html_to_pdf,
    render_invoice_pdf,
)
from invoices.services.drafts import LineInput
from partners.images import seal_image_clean
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_carries_every_item_of_a_qualified_invoice(issued_invoice):
    pdf = render_invoice_pdf(issued_invoice)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    snapshot = issued_invoice.snapshot
    addressee = snapshot["addressee"]
    for expected in (
        "請求書",
        f"{addressee['municipality']} {addressee['department']} 御中",
        snapshot["supplier"]["name"],
        snapshot["supplier"]["registration_number"],
        issued_invoice.receipt_number,
        "コピー用紙 A4",
        "お茶（来客用）",
        "※は軽減税率（8%）対象です。",
        "10%（標準税率）",
        "8%（軽減税率）",
        f"{issued_invoice.total:,}円",
        "1 / 1",
    ):
        assert expected in text, expected


def test_no_character_turns_into_a_box(issued_invoice):
    # Every character of the Japanese strings must come back from the PDF:
    # a missing glyph would be dropped or replaced in the extracted text.
    text = _text(render_invoice_pdf(issued_invoice)).replace(" ", "")
    snapshot = issued_invoice.snapshot
    for value in (
        snapshot["supplier"]["name"],
        snapshot["supplier"]["address"],
        snapshot["addressee"]["department"],
        snapshot["subject"],
    ):
        assert value.replace(" ", "") in text


def test_rendering_again_gives_the_same_text(issued_invoice):
    assert _text(render_invoice_pdf(issued_invoice)) == _text(
        render_invoice_pdf(issued_invoice)
    )


def test_long_invoices_get_page_numbers(connection, supplier_user):
    lines = [
        LineInput(f"品目 {n}", Decimal(1), Decimal(100), "S") for n in range(1, 81)
    ]
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user, lines=lines)
    pdf = render_invoice_pdf(invoice)
    pages = _pages(pdf)
    assert pages >= 2
    assert f"{pages} / {pages}" in _text(pdf)


class _CountingHandler(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = HTTPServer(("127.0.0.1", 0), _CountingHandler)
    _CountingHandler.hits = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_rendering_fetches_nothing_from_the_network(
    http_server, connection, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            notes=f'<img src="{http_server}/note.png">',
        )
    text = _text(render_invoice_pdf(invoice))
    assert "<img" in text  # shown as text, never as markup
    # Even markup that does ask for a remote image is refused by the fetcher.
    html_to_pdf(
        f'<p>x</p><img src="{http_server}/a.png">'
        f'<link rel="stylesheet" href="{http_server}/a.css">'
    )
    assert _CountingHandler.hits == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "file:///etc/passwd",
        STATIC_BASE + "../config/settings/base.py",
        STATIC_BASE + "missing.css",
    ],
)
def test_fetcher_refuses_everything_outside_static(url):
    with pytest.raises(ValueError, match="may not fetch"):
        StaticOnlyFetcher().fetch(url)


def test_fetcher_serves_the_embedded_font():
    response = StaticOnlyFetcher().fetch(STATIC_BASE + "fonts/ipaexg.ttf")
    assert response.read(4) in (b"\x00\x01\x00\x00", b"OTTO")


def test_transparent_png_seal_is_drawn_with_its_transparency(connection, supplier_user):
    buffer = io.BytesIO()
    seal = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ImageDraw.Draw(seal).ellipse((10, 10, 110, 110), outline=(200, 30, 30, 255))
    seal.save(buffer, format="PNG")
    upload = SimpleUploadedFile("hanko.png", buffer.getvalue())
    supplier = connection.supplier
    supplier.seal_image.save("seal.png", seal_image_clean(upload))
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
    pdf = render_invoice_pdf(invoice)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    images = [
        obj.get_object()
        for obj in page["/Resources"]["/XObject"].values()
        if obj.get_object()["/Subtype"] == "/Image"
    ]
    assert len(images) == 1
    assert images[0]["/Width"] == 120
    assert "/SMask" in images[0], "the transparent background must stay"
