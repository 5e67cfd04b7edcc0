"""PDFs rendered with WeasyPrint: ``render_pdf`` for every document (the
invoices (適格請求書) here, from the frozen snapshot, and the treasury's
payment notices).

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
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from invoices.models import Invoice
from invoices.presentation import invoice_document
from partners.images import seal_content_type

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


def html_to_pdf(html: str) -> bytes:
    """``html`` as an A4 PDF (the page size is in the stylesheet), fetching
    only through ``StaticOnlyFetcher``: the project's one WeasyPrint call."""
    return HTML(
        string=html, base_url=STATIC_BASE, url_fetcher=StaticOnlyFetcher()
    ).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    """The template rendered with ``context``, as a PDF. Relative URLs in
    it (``invoices/pdf.css`` and the fonts it names) resolve in ``static/``.
    Always in Japanese, whoever asks: the stored PDF is the legal document
    (invoice, payment notice), the same for both parties."""
    with translation.override("ja"):
        return html_to_pdf(render_to_string(template_name, context))


def _seal_data_uri(snapshot: dict) -> str:
    name = snapshot["supplier"].get("seal_image", "")
    if not name or not default_storage.exists(name):
        return ""
    with default_storage.open(name) as f:
        data = f.read()
    content_type = seal_content_type(data)
    if content_type is None:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


INVOICE_TEMPLATE = "invoices/pdf/invoice.html"


def _invoice_context(invoice: Invoice) -> dict:
    doc = invoice_document(invoice)
    return {"doc": doc, "seal_src": _seal_data_uri(doc), "invoice": invoice}


def invoice_pdf_html(invoice: Invoice) -> str:
    """The HTML the PDF is made from (in Japanese, as the PDF)."""
    with translation.override("ja"):
        return render_to_string(INVOICE_TEMPLATE, _invoice_context(invoice))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF with the Japanese font embedded."""
    return render_pdf(INVOICE_TEMPLATE, _invoice_context(invoice))
