"""The search page's CSV (one row per invoice), formats and printable page."""

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from django.db.models import FilteredRelation, Q, QuerySet
from django.db.models.fields.json import KT
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.spreadsheets import csv_cell
from invoices.archive import archive_load, invoices_zip
from invoices.exports.pipeline import (
    _CSV_CP932,
    _CSV_UTF8,
    CSV_CP932,
    CSV_UTF8,
    ZIP,
    CsvFile,
    ExportFormat,
)
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceStatus,
    TaxCategory,
)
from invoices.presentation import invoice_document
from partners.models import PriceBasis

CSV_HEADER = (
    _("請求書番号"),
    _("受付番号"),
    _("取引先"),
    _("登録番号"),
    _("自治体"),
    _("部署"),
    _("請求日"),
    _("取引日"),
    _("取引終了日"),
    _("支払期日"),
    _("件名"),
    _("税抜/税込"),
    _("10%対象"),
    _("10%税額"),
    _("8%対象"),
    _("8%税額"),
    _("請求金額"),
    _("状態"),
    _("受付日時"),
    _("開封日時"),
    _("支払期限"),
)


# The search CSV's columns, read as values: no model instance per invoice,
# so that a long export runs at the speed of its query. The parties as
# ``invoice_parties`` gives them: printed on the invoice (its snapshot) once
# issued, else the live names.
_PRINTED_PARTIES = {
    "printed_supplier": KT("snapshot__supplier__name"),
    "printed_registration_number": KT("snapshot__supplier__registration_number"),
    "printed_municipality": KT("snapshot__addressee__municipality"),
    "printed_department": KT("snapshot__addressee__department"),
}
_LIVE_PARTIES = (
    "supplier__legal_name",
    "supplier__registration_number",
    "municipality__name",
    "department__name",
)


def _taxes() -> dict[str, FilteredRelation]:
    """The 10% and 8% tax summaries joined (new objects for each query:
    a query keeps state on them)."""
    return {
        name: FilteredRelation(
            "tax_summaries", condition=Q(tax_summaries__tax_category=category)
        )
        for name, category in (
            ("standard", TaxCategory.STANDARD),
            ("reduced", TaxCategory.REDUCED),
        )
    }


_VALUES = (
    "pk",
    "status",
    "municipality_id",
    "content_hash",
    "number",
    "receipt_number",
    *_LIVE_PARTIES,
    *_PRINTED_PARTIES,
    "issue_date",
    "transaction_date",
    "transaction_end_date",
    "due_date",
    "subject",
    "price_basis",
    "standard__taxable_amount",
    "standard__tax_amount",
    "reduced__taxable_amount",
    "reduced__tax_amount",
    "total",
    "received_at",
    "opened_at",
    "payment_deadline",
)


def export_query(invoices: QuerySet[Invoice]) -> QuerySet:
    """What the search CSV needs of the invoices, as values."""
    return invoices.annotate(**_PRINTED_PARTIES, **_taxes()).values(*_VALUES)


def export_load(invoices: QuerySet[Invoice]) -> list[dict]:
    """``export_query``, read once (one query), so that the file and the
    history record the same set."""
    return list(export_query(invoices))


def _local(moment: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the current time zone."""
    if moment is None:
        return ""
    return moment.astimezone(timezone.get_current_timezone()).isoformat(" ", "seconds")[
        :19
    ]


@cache
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The status and price-basis labels in ``language`` (the active one),
    translated (and made safe cells) once rather than for every row."""
    return (
        {value: csv_cell(str(label)) for value, label in InvoiceStatus.choices},
        {value: csv_cell(str(label)) for value, label in PriceBasis.choices},
    )


def _plain_cell(value) -> str:
    """``csv_cell`` of a number or a date, which is never a formula."""
    return "" if value is None else str(value)


def _row(invoice: dict) -> list[str]:
    """One invoice read by ``export_load``. Only text typed by people goes
    through ``csv_cell``'s formula check; numbers, dates and labels cannot
    start a formula (a long export spends its time here)."""
    statuses, price_bases = _labels(translation.get_language())
    if invoice["status"] == InvoiceStatus.DRAFT:
        parties = [csv_cell(invoice[name]) for name in _LIVE_PARTIES]
    else:
        parties = [csv_cell(invoice[name]) for name in _PRINTED_PARTIES]
    return [
        csv_cell(invoice["number"]),
        csv_cell(invoice["receipt_number"]),
        *parties,
        _plain_cell(invoice["issue_date"]),
        _plain_cell(invoice["transaction_date"]),
        _plain_cell(invoice["transaction_end_date"]),
        _plain_cell(invoice["due_date"]),
        csv_cell(invoice["subject"]),
        price_bases[invoice["price_basis"]],
        _plain_cell(invoice["standard__taxable_amount"]),
        _plain_cell(invoice["standard__tax_amount"]),
        _plain_cell(invoice["reduced__taxable_amount"]),
        _plain_cell(invoice["reduced__tax_amount"]),
        _plain_cell(invoice["total"]),
        statuses[invoice["status"]],
        _local(invoice["received_at"]),
        _local(invoice["opened_at"]),
        _plain_cell(invoice["payment_deadline"]),
    ]


def _rows(invoice: dict) -> list[list[str]]:
    return [_row(invoice)]


def invoices_csv(invoices: Iterable[dict], *, encoding: str) -> bytes:
    """The invoices as CSV with a Japanese header (see ``CsvFile``)."""
    return CsvFile(CSV_HEADER, _rows, encoding)(invoices)


def invoice_print_html(invoice: Invoice) -> str:
    """The invoice as a standalone printable page (its styles inline)."""
    return render_to_string(
        "invoices/print.html", {"invoice": invoice, "doc": invoice_document(invoice)}
    )


# format (``?format=``) → file, for the search page's export.
SEARCH_FORMATS = {
    CSV_UTF8: ExportFormat(
        load=export_load,
        query=export_query,
        render=CsvFile(CSV_HEADER, _rows, CSV_UTF8),
        content_type=_CSV_UTF8,
        filename="invoices",
        suffix="utf8.csv",
        event=EventKind.EXPORTED,
        recorded_as=CSV_UTF8,
    ),
    CSV_CP932: ExportFormat(
        load=export_load,
        query=export_query,
        render=CsvFile(CSV_HEADER, _rows, CSV_CP932),
        content_type=_CSV_CP932,
        filename="invoices",
        suffix="cp932.csv",
        event=EventKind.EXPORTED,
        recorded_as=CSV_CP932,
    ),
    ZIP: ExportFormat(
        load=archive_load,
        render=invoices_zip,
        content_type="application/zip",
        filename="invoices",
        suffix="pdf.zip",
        event=EventKind.DOWNLOADED,
        recorded_as=ZIP,
        background=True,
    ),
}
