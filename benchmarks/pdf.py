"""Invoice PDF throughput: ``python benchmarks/pdf.py [N]``.

Renders N invoices (default 200) for each size of 1, 10 and 100 lines with
the portal's renderer (template, snapshot, static-only fetcher), and the same
HTML through ``html_to_pdf`` alone (WeasyPrint only) as the floor to compare
with. Runs on an in-memory
SQLite database; nothing is written to the project's database.
"""

import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
os.environ["DATABASE_URL"] = "sqlite://:memory:"

import django

django.setup()

from django.core.management import call_command
from django_scopes import scopes_disabled

from invoices.pdf import html_to_pdf, invoice_pdf_html, render_invoice_pdf
from invoices.services.drafts import LineInput
from tests.factories import (
    ConnectionFactory,
    SupplierMembershipFactory,
    make_invoice,
)


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    with scopes_disabled():
        membership = SupplierMembershipFactory()
        connection = ConnectionFactory(supplier=membership.supplier)
        print(f"{'lines':>5} {'PDFs/s':>8} {'bare WeasyPrint PDFs/s':>24}")
        for size in (1, 10, 100):
            lines = [
                LineInput(f"品目 {i} 事務用品", Decimal(i), Decimal(120), "S", "個")
                for i in range(1, size + 1)
            ]
            invoice = make_invoice(
                connection=connection, actor=membership.user, lines=lines
            )
            html = invoice_pdf_html(invoice)
            started = time.perf_counter()
            for _ in range(n):
                render_invoice_pdf(invoice)
            ours = n / (time.perf_counter() - started)
            started = time.perf_counter()
            for _ in range(n):
                html_to_pdf(html)
            bare = n / (time.perf_counter() - started)
            print(f"{size:>5} {ours:>8.1f} {bare:>24.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
