"""The invoices in the upload format, which the upload reads back, and its template."""

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import QuerySet

from accounts.spreadsheets import csv_cell
from invoices import csv_import
from invoices.exports.pipeline import (
    _CSV_CP932,
    _CSV_UTF8,
    CSV_CP932,
    CSV_UTF8,
    CsvFile,
    ExportFormat,
)
from invoices.models import (
    EventKind,
    Invoice,
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


def _upload_format_rows(invoices: Iterable[Invoice]) -> Iterator[list[str]]:
    labels = _tax_labels()
    for invoice in invoices:
        yield from _upload_rows(invoice, labels)


def invoices_upload_csv(invoices: Iterable[Invoice], *, encoding: str) -> bytes:
    """The invoices in the upload format, one row per line, for Excel
    (``CSV_CP932``) or with a BOM (``CSV_UTF8``)."""
    return CsvFile(csv_import.COLUMNS, _upload_format_rows, encoding)(invoices)


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
