"""Files made from search results: a CSV for Excel and other systems, a
ZIP of the invoices' documents (電子帳簿保存法's download in a usual
format; built in ``invoices.archive``), and the invoices in the upload
format. The CSV builders are pure (invoices in, bytes out);
``invoices_export`` is the one path from a query to a file: it loads,
renders and records the export in each issued invoice's history, and the
view then serves the file. A CSV is streamed (``invoices_export_stream``):
read, written and recorded a chunk of invoices at a time, so that the first
bytes leave at once and memory stays flat however many invoices it holds."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import chain, islice

from django.db import transaction
from django.db.models import FilteredRelation, Q, QuerySet
from django.db.models.fields.json import KT
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.spreadsheets import csv_cell
from invoices import csv_import
from invoices.archive import archive_load, invoices_zip
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceStatus,
    TaxCategory,
)
from invoices.presentation import invoice_document
from invoices.services.records import (
    invoices_record_export,
    invoices_record_export_rows,
)
from partners.models import PriceBasis

# The most invoices one export may hold (a ZIP of more than
# settings.INVOICE_ZIP_INLINE_LIMIT is built in the background).
EXPORT_LIMIT = 10_000
# Invoices read, written and recorded together by a streamed export; the
# first chunk is smaller, done before the response starts.
EXPORT_CHUNK = 2500
EXPORT_FIRST_CHUNK = 100

CSV_UTF8 = "csv-utf8"
CSV_CP932 = "csv-cp932"
ZIP = "zip"

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


@dataclass(frozen=True)
class CsvFile:
    """A CSV of invoices with CRLF line endings, written a chunk of
    invoices at a time: ``head()`` (the header row), then ``body()`` of
    each chunk. ``CSV_UTF8`` starts with a BOM, without which Excel
    misreads UTF-8; ``CSV_CP932`` is what Japanese Excel opens directly,
    and a character CP932 lacks becomes ``?`` rather than failing the whole
    export. Called with all the invoices, it is the whole file."""

    header: Sequence
    rows: Callable[[Invoice], Iterable[list[str]]]
    encoding: str

    def _encode(self, rows: Iterable[Sequence], *, first: bool) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        if self.encoding == CSV_CP932:
            return out.getvalue().encode("cp932", errors="replace")
        return out.getvalue().encode("utf-8-sig" if first else "utf-8")

    def head(self) -> bytes:
        return self._encode([self.header], first=True)

    def body(self, invoices: Iterable[Invoice]) -> bytes:
        return self._encode(
            (row for invoice in invoices for row in self.rows(invoice)), first=False
        )

    def __call__(self, invoices: Iterable[Invoice]) -> bytes:
        return self.head() + self.body(invoices)


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


# The upload format (一括アップロードの形式) ----------------------------------
# One row per line, in the columns of ``invoices.csv_import``, so that an
# export can be edited in Excel and uploaded again as new invoices.

_EXAMPLE_INVOICES = (
    {
        "請求書番号": "見本-0001",
        "請求日": "2026-11-30",
        "取引日": "2026-11-15",
        "支払期日": "2026-12-31",
        "件名": "11月分 事務用品",
        "注文番号": "R8-0123",
        "備考": "",
        "lines": (
            ("コピー用紙 A4", "10", "箱", "450", "10%", "500枚入り"),
            ("ボールペン（黒）", "20", "本", "120", "10%", ""),
        ),
    },
    {
        "請求書番号": "見本-0002",
        "請求日": "2026-11-30",
        "取引開始日": "2026-11-01",
        "取引終了日": "2026-11-30",
        "支払期日": "2026-12-31",
        "件名": "11月分 給食用牛乳",
        "備考": "軽減税率の対象品目には8%を指定します。",
        "lines": (
            ("牛乳 200ml", "1200", "本", "55", "8%", "11月4日〜11月30日の納品分"),
            ("配送料", "1", "式", "3000", "10%", ""),
        ),
    },
)


def _csv_bytes(rows: Iterable[Iterable[str]], *, encoding: str) -> bytes:
    """CSV with CRLF line endings, as ``invoices_csv`` writes it."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    if encoding == CSV_CP932:
        return out.getvalue().encode("cp932", errors="replace")
    return out.getvalue().encode("utf-8-sig")


def _plain(value: Decimal) -> str:
    """``Decimal("1200.000")`` → ``"1200"``: no exponent, no trailing zeros."""
    return f"{value.normalize():f}"


def _upload_row(values: dict) -> list[str]:
    return [csv_cell(values.get(column, "")) for column in csv_import.COLUMNS]


def upload_template_csv(*, municipality_code: str, department_code: str) -> bytes:
    """The upload template: the header and two example invoices addressed
    to the given department, the second over a period with an 8% line.
    UTF-8 with a BOM, so that Excel opens it as it is."""
    rows = [csv_import.COLUMNS]
    for example in _EXAMPLE_INVOICES:
        header = {key: value for key, value in example.items() if key != "lines"}
        for description, quantity, unit, unit_price, tax, note in example["lines"]:
            rows.append(
                _upload_row(
                    {
                        **header,
                        "宛先自治体コード": municipality_code,
                        "宛先部署コード": department_code,
                        "品名": description,
                        "数量": quantity,
                        "単位": unit,
                        "単価": unit_price,
                        "税区分": tax,
                        "明細備考": note,
                    }
                )
            )
    return _csv_bytes(rows, encoding=CSV_UTF8)


def upload_format_query(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """The invoices with their lines and addressees."""
    return invoices.select_related("municipality", "department").prefetch_related(
        "lines"
    )


def upload_format_load(invoices: QuerySet[Invoice]) -> list[Invoice]:
    """``upload_format_query``, read once."""
    return list(upload_format_query(invoices))


def _upload_rows(invoice: Invoice, labels: dict[str, str]) -> Iterator[list[str]]:
    period = invoice.transaction_end_date is not None
    header = {
        "請求書番号": invoice.number,
        "宛先自治体コード": invoice.municipality.local_government_code,
        "宛先部署コード": invoice.department.code,
        "請求日": invoice.issue_date,
        "取引日": "" if period else invoice.transaction_date,
        "取引開始日": invoice.transaction_date if period else "",
        "取引終了日": invoice.transaction_end_date,
        "支払期日": invoice.due_date,
        "件名": invoice.subject,
        "注文番号": invoice.order_number,
        "備考": invoice.notes,
    }
    for line in invoice.lines.all():
        yield _upload_row(
            {
                **header,
                "品名": line.description,
                "数量": _plain(line.quantity),
                "単位": line.unit,
                "単価": _plain(line.unit_price),
                "税区分": labels[line.tax_category],
                "明細備考": line.note,
            }
        )


def _tax_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for label, category in csv_import.TAX_CATEGORY_LABELS.items():
        labels.setdefault(category, label)  # the first label is the template's
    return labels


def _upload_format_rows(invoice: Invoice) -> Iterator[list[str]]:
    return _upload_rows(invoice, _tax_labels())


def invoices_upload_csv(invoices: Iterable[Invoice], *, encoding: str) -> bytes:
    """The invoices in the upload format, one row per line, for Excel
    (``CSV_CP932``) or with a BOM (``CSV_UTF8``)."""
    return CsvFile(csv_import.COLUMNS, _upload_format_rows, encoding)(invoices)


# One path from a query to a file ---------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """One kind of file: how it is read and rendered, served, and recorded.
    A CSV is data taken out (CSV出力); the ZIP hands out the documents
    (ダウンロード)."""

    load: Callable[[QuerySet[Invoice]], list[Invoice] | list[dict]]
    # A ``CsvFile`` is streamed (``invoices_export_stream``).
    render: Callable[[list[Invoice]], bytes]
    content_type: str
    filename: str  # before the date
    suffix: str  # after the date
    event: str  # the history event
    recorded_as: str  # ``data["format"]`` of the event
    # Built by a Celery task above ``settings.INVOICE_ZIP_INLINE_LIMIT``
    # invoices (``invoices.services.zip_exports``).
    background: bool = False
    # What ``load`` reads, as a query: a streamed file reads it a chunk at
    # a time.
    query: Callable[[QuerySet[Invoice]], QuerySet] | None = None

    @property
    def streamed(self) -> bool:
        return isinstance(self.render, CsvFile)


@dataclass(frozen=True)
class ExportFile:
    content: bytes | Iterator[bytes]  # streamed: the chunks, read once
    content_type: str
    filename: str


_CSV_UTF8 = "text/csv; charset=utf-8"
_CSV_CP932 = "text/csv; charset=Windows-31J"

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

# format → file, for the export in the upload format.
UPLOAD_FORMATS = {
    CSV_CP932: ExportFormat(
        load=upload_format_load,
        query=upload_format_query,
        render=CsvFile(csv_import.COLUMNS, _upload_format_rows, CSV_CP932),
        content_type=_CSV_CP932,
        filename="invoices_upload",
        suffix="cp932.csv",
        event=EventKind.EXPORTED,
        recorded_as=f"upload-{CSV_CP932}",
    ),
    CSV_UTF8: ExportFormat(
        load=upload_format_load,
        query=upload_format_query,
        render=CsvFile(csv_import.COLUMNS, _upload_format_rows, CSV_UTF8),
        content_type=_CSV_UTF8,
        filename="invoices_upload",
        suffix="utf8.csv",
        event=EventKind.EXPORTED,
        recorded_as=f"upload-{CSV_UTF8}",
    ),
}


def invoices_record_taken(
    *, invoices: Iterable[Invoice], actor: User, kind: str, recorded_as: str
) -> None:
    """Record that ``invoices`` were exported, downloaded or printed, in
    the history of each issued one. Not drafts: an event would hold the
    draft's empty content hash, break the audit chain once it is issued
    and keep it from being deleted."""
    invoices_record_export(
        invoices=[invoice for invoice in invoices if not invoice.is_draft],
        actor=actor,
        kind=kind,
        data={"format": recorded_as},
    )


def _filename(file_format: ExportFormat) -> str:
    return f"{file_format.filename}_{timezone.localdate():%Y%m%d}_{file_format.suffix}"


def _pk(loaded: Invoice | dict) -> int:
    return loaded["pk"] if isinstance(loaded, dict) else loaded.pk


def _in_order(invoices: Iterable[Invoice], ids: list[int]) -> list[Invoice]:
    position = {pk: n for n, pk in enumerate(ids)}
    return sorted(invoices, key=lambda invoice: position[_pk(invoice)])


def _taken_rows(loaded: list[Invoice] | list[dict]) -> list[tuple[int, int, str]]:
    """(id, municipality id, content hash) of the issued ones of the loaded
    invoices (``invoices_record_taken``'s rule: not drafts)."""
    rows = []
    for invoice in loaded:
        if isinstance(invoice, dict):
            status, *row = (
                invoice["status"],
                invoice["pk"],
                invoice["municipality_id"],
                invoice["content_hash"],
            )
        else:
            status, *row = (
                invoice.status,
                invoice.pk,
                invoice.municipality_id,
                invoice.content_hash,
            )
        if status != InvoiceStatus.DRAFT:
            rows.append(tuple(row))
    return rows


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[n : n + EXPORT_CHUNK] for n in range(0, len(ids), EXPORT_CHUNK)]


@transaction.atomic
def _export_record(ids: list[int], file_format: ExportFormat, actor: User) -> None:
    """``invoices_record_taken`` of the invoices ``ids``, in order, reading
    what the history needs a chunk at a time."""
    for chunk in _chunks(ids):
        taken = Invoice.objects.filter(pk__in=chunk).only(
            "status", "municipality_id", "content_hash"
        )
        invoices_record_taken(
            invoices=_in_order(taken, chunk),
            actor=actor,
            kind=file_format.event,
            recorded_as=file_format.recorded_as,
        )


def invoices_export(
    *, invoices: QuerySet[Invoice], file_format: ExportFormat, actor: User
) -> ExportFile:
    """The file of ``invoices`` in ``file_format``, its export recorded.

    The invoices are read once, so the file and the history hold the same
    set. Recorded after rendering and before serving: a file that fails to
    render is not recorded, and a file is only served once recorded."""
    loaded = file_format.load(invoices)
    content = file_format.render(loaded)
    _export_record([_pk(invoice) for invoice in loaded], file_format, actor)
    return ExportFile(
        content=content,
        content_type=file_format.content_type,
        filename=_filename(file_format),
    )


def invoices_export_stream(
    *, invoices: QuerySet[Invoice], file_format: ExportFormat, actor: User
) -> ExportFile:
    """``invoices_export`` of a CSV format, written as it is read, in flat
    memory: the first bytes leave at once however many invoices it holds.

    The invoices are read with one query, through a server-side cursor
    (what was read is what is written and recorded): a chunk of
    ``EXPORT_CHUNK`` invoices at a time is fetched, written, recorded and
    handed out. As with ``invoices_export``, a chunk that fails to render
    is not recorded and none is served before it is recorded; a download
    cut short records what was sent. The first chunk
    (``EXPORT_FIRST_CHUNK`` invoices, so that it is quick) is done here,
    the others as the content is read, after the view has returned: the
    caller reads it in the request's tenant scope."""
    writer = file_format.render
    if not isinstance(writer, CsvFile) or file_format.query is None:
        raise ValueError("Only a CSV format is streamed.")
    # Outside a transaction the cursor is held across the chunks' commits.
    rows = file_format.query(invoices).iterator(chunk_size=EXPORT_CHUNK)

    def chunks() -> Iterator[bytes]:
        size = EXPORT_FIRST_CHUNK
        while loaded := list(islice(rows, size)):
            data = writer.body(loaded)
            # What was read for the file is what is recorded: no second
            # query, no model instances.
            invoices_record_export_rows(
                invoices=_taken_rows(loaded),
                actor=actor,
                kind=file_format.event,
                data={"format": file_format.recorded_as},
            )
            yield data
            size = EXPORT_CHUNK

    rest = chunks()
    first = writer.head() + next(rest, b"")
    return ExportFile(
        content=chain([first], rest),
        content_type=file_format.content_type,
        filename=_filename(file_format),
    )
