"""The search page's CSV (one row per invoice), formats and printable page."""

from collections.abc import Iterable, Iterator
from functools import cache

from django.db.models import Case, F, FilteredRelation, Q, QuerySet, TextField, When
from django.db.models.fields.json import KT
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.spreadsheets import csv_cell, text_cell
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


# The search CSV's columns, read as plain rows: no model instance or
# dictionary per invoice, so that a long export runs at the speed of its
# query. The parties as ``invoice_parties`` gives them: printed on the
# invoice (its snapshot) once issued, else the live names (chosen in SQL).
def _party(live: str, printed: str) -> Case:
    return Case(
        When(status=InvoiceStatus.DRAFT, then=F(live)),
        default=KT(printed),
        output_field=TextField(),
    )


def _parties() -> dict[str, Case]:
    return {
        "party_supplier": _party("supplier__legal_name", "snapshot__supplier__name"),
        "party_registration_number": _party(
            "supplier__registration_number",
            "snapshot__supplier__registration_number",
        ),
        "party_municipality": _party(
            "municipality__name", "snapshot__addressee__municipality"
        ),
        "party_department": _party(
            "department__name", "snapshot__addressee__department"
        ),
    }


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


# The id (``pipeline.invoices_export`` records it) and the status, then the
# file's columns in ``_rows``'s order.
_VALUES = (
    "pk",
    "status",
    "number",
    "receipt_number",
    "party_supplier",
    "party_registration_number",
    "party_municipality",
    "party_department",
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
    """What the search CSV needs of the invoices, as tuples."""
    return invoices.annotate(**_parties(), **_taxes()).values_list(*_VALUES)


def export_load(invoices: QuerySet[Invoice]) -> list[tuple]:
    """``export_query``, read once (one query), so that the file and the
    history record the same set."""
    return list(export_query(invoices))


@cache
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The status and price-basis labels in ``language`` (the active one),
    translated (and made safe cells) once rather than for every row."""
    return (
        {value: csv_cell(str(label)) for value, label in InvoiceStatus.choices},
        {value: csv_cell(str(label)) for value, label in PriceBasis.choices},
    )


def _rows(invoices: Iterable[tuple]) -> Iterator[tuple]:
    """The rows of invoices read by ``export_query``. Only text typed by
    people goes through the formula check (``text_cell``); numbers, dates
    and labels cannot start a formula. A long export spends its time here:
    one tuple per invoice, what is the same for all looked up once, times
    as ``YYYY-MM-DD HH:MM:SS`` in the current time zone."""
    statuses, price_bases = _labels(translation.get_language())
    zone = timezone.get_current_timezone()
    for (
        _pk,
        status,
        number,
        receipt_number,
        supplier,
        registration_number,
        municipality,
        department,
        issue_date,
        transaction_date,
        transaction_end_date,
        due_date,
        subject,
        price_basis,
        standard_taxable,
        standard_tax,
        reduced_taxable,
        reduced_tax,
        total,
        received_at,
        opened_at,
        payment_deadline,
    ) in invoices:
        yield (
            text_cell(number),
            text_cell(receipt_number),
            text_cell(supplier),
            text_cell(registration_number),
            text_cell(municipality),
            text_cell(department),
            issue_date,
            transaction_date,
            transaction_end_date,
            due_date,
            text_cell(subject),
            price_bases[price_basis],
            standard_taxable,
            standard_tax,
            reduced_taxable,
            reduced_tax,
            total,
            statuses[status],
            received_at and received_at.astimezone(zone).isoformat(" ", "seconds")[:19],
            opened_at and opened_at.astimezone(zone).isoformat(" ", "seconds")[:19],
            payment_deadline,
        )


def invoices_csv(invoices: Iterable[tuple], *, encoding: str) -> bytes:
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
