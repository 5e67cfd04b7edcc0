"""Invoice PDFs (適格請求書) rendered with WeasyPrint from the frozen snapshot.

Rendering reads nothing but the project's static files (the embedded font
and the stylesheet) and inline ``data:`` images (the seal): every other URL
is refused, so a note containing ``<img src="http://…">`` — escaped anyway —
or a crafted stylesheet cannot make the server fetch anything.
"""

import base64
import mimetypes
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from invoices.models import Invoice
from invoices.presentation import invoice_document

# A base URL that resolves nowhere on the network; the fetcher maps it to
# the static folder.
STATIC_BASE = "https://static.invoice-portal.invalid/"
STATIC_DIR = Path(settings.BASE_DIR) / "static"


class StaticOnlyFetcher(URLFetcher):
    """Serves files below ``static/`` and ``data:`` URLs; refuses the rest."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if not url.startswith(STATIC_BASE):
            raise ValueError(f"PDF rendering may not fetch {url}")
        path = (STATIC_DIR / url.removeprefix(STATIC_BASE).split("?")[0]).resolve()
        if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
            raise ValueError(f"PDF rendering may not fetch {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, path.read_bytes(), headers={"Content-Type": content_type}
        )


def _seal_data_uri(snapshot: dict) -> str:
    name = snapshot["supplier"].get("seal_image", "")
    if not name or not default_storage.exists(name):
        return ""
    with default_storage.open(name) as f:
        data = f.read()
    content_type = "image/gif" if data[:4] == b"GIF8" else "image/jpeg"
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def invoice_pdf_html(invoice: Invoice) -> str:
    """The HTML the PDF is made from."""
    doc = invoice_document(invoice)
    return render_to_string(
        "invoices/pdf/invoice.html",
        {"doc": doc, "seal_src": _seal_data_uri(doc), "invoice": invoice},
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF with the Japanese font embedded."""
    return HTML(
        string=invoice_pdf_html(invoice),
        base_url=STATIC_BASE,
        url_fetcher=StaticOnlyFetcher(),
    ).write_pdf()
