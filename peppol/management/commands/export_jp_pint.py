"""``manage.py export_jp_pint RECEIPT_NUMBER --output FILE [--municipality
SLUG]``: an issued invoice's JP PINT billing XML for scripts. The receipt
number (受付番号, e.g. ``2026-000123``) is unique per municipality, so
``--municipality`` is needed when several municipalities have it. The export
is checked like a download and recorded in the invoice's history."""

import hashlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice
from invoices.services.records import invoices_record_export
from peppol.services import JpPintInvalid, invoice_jp_pint
from peppol.ubl import JpPintUnavailable


class Command(BaseCommand):
    help = (
        "発行済みの請求書を受付番号で指定し、JP PINT（デジタルインボイス）の "
        "XML を書き出します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("receipt_number", help="受付番号（例: 2026-000123）")
        parser.add_argument(
            "--output",
            "-o",
            required=True,
            help="書き出すファイル（- で標準出力）",
        )
        parser.add_argument(
            "--municipality",
            help="自治体のスラッグ（同じ受付番号が複数の自治体にあるとき）",
        )

    def handle(self, *args, receipt_number, output, municipality, **options):
        with scopes_disabled():
            invoice = _invoice(receipt_number, municipality)
            try:
                xml = invoice_jp_pint(invoice)
            except JpPintInvalid as error:
                for problem in error.problems:
                    self.stderr.write(f"[{problem.rule}] {problem.message}")
                raise CommandError(str(error)) from error
            except JpPintUnavailable as error:
                raise CommandError(str(error)) from error
            if output == "-":
                sys.stdout.buffer.write(xml)
                sys.stdout.buffer.flush()
            else:
                try:
                    Path(output).write_bytes(xml)
                except OSError as error:
                    raise CommandError(f"ファイルに書き込めません: {error}") from error
            invoices_record_export(
                invoices=[invoice],
                actor=None,
                kind=EventKind.DOWNLOADED,
                data={
                    "format": "jp-pint",
                    "sha256": hashlib.sha256(xml).hexdigest(),
                    "via": "export_jp_pint",
                },
            )
        if output != "-" and options["verbosity"] >= 1:
            self.stdout.write(
                f"{invoice.municipality.name} 受付番号 {invoice.receipt_number}"
                f"（請求書番号 {invoice.number}）を {output} に書き出しました。"
            )


def _invoice(receipt_number: str, slug: str | None) -> Invoice:
    invoices = Invoice.objects.filter(receipt_number=receipt_number.strip())
    if slug:
        invoices = invoices.filter(municipality__slug=slug)
    found = list(invoices.select_related("municipality", "supplier"))
    if not found:
        where = f"（自治体 {slug}）" if slug else ""
        raise CommandError(
            f"受付番号 {receipt_number} の請求書が見つかりません{where}。"
            "受付番号を確認してください。"
        )
    if len(found) > 1:
        slugs = ", ".join(sorted(i.municipality.slug for i in found))
        raise CommandError(
            f"受付番号 {receipt_number} は複数の自治体にあります（{slugs}）。"
            "--municipality で自治体を指定してください。"
        )
    return found[0]
