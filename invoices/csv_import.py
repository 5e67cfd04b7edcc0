"""CSV bulk upload of invoices (一括アップロード).

One row per invoice line; the rows with the same 請求書番号 form one
invoice. ``csv_parse`` decodes and checks a whole file without writing
anything, and describes every invoice it would create and every problem,
at the row and column Excel shows. ``csv_import`` parses the file again and
creates the invoices through the services of screen entry
(``invoice_draft_save``, ``invoice_issue``) in one transaction.

Decoding follows jp-invoice-law.md §5.1: a UTF-8 BOM means UTF-8; else
strict UTF-8; else CP932 (never shift_jis, which fails on ①, ㈱ and 髙).
Text columns keep what was typed (only surrounding spaces go); codes,
numbers and dates are read from an NFKC-normalised copy, and messages quote
the cell as it is in the file.

The standard ``csv`` module reads the rows, not tablib: tablib's loader
drops blank rows, so the row numbers would no longer be the ones Excel
shows, and it refuses a row longer than the header without saying which.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_scopes import scope

from invoices.fields import JapaneseDateField, nfkc
from invoices.forms import AMOUNT_LIMIT, InvoiceLineForm
from invoices.models import Invoice, TaxCategory
from invoices.services import (
    NUMBER_TAKEN,
    LineInput,
    invoice_draft_save,
    invoice_issue,
)
from invoices.tax import (
    AMOUNT_MAX,
    amount_limit_problems,
    amount_over_limit,
    invoice_totals,
    line_amount,
)
from municipality.models import Department, Municipality
from municipality.validators import (
    normalize_identifier,
    validate_local_government_code,
)
from partners.models import Connection, Supplier

COLUMNS: tuple[str, ...] = (
    "請求書番号",
    "宛先自治体コード",
    "宛先部署コード",
    "請求日",
    "取引日",
    "取引開始日",
    "取引終了日",
    "支払期日",
    "件名",
    "品名",
    "数量",
    "単位",
    "単価",
    "税区分",
    "備考",
)
(
    _NUMBER,
    _MUNICIPALITY,
    _DEPARTMENT,
    _ISSUE_DATE,
    _DAY,
    _START,
    _END,
    _DUE,
    _SUBJECT,
    _DESCRIPTION,
    _QUANTITY,
    _UNIT,
    _UNIT_PRICE,
    _TAX,
    _NOTES,
) = COLUMNS
# Columns that must be in the header; the transaction date is 取引日 or the
# period 取引開始日 + 取引終了日 (checked separately).
_REQUIRED_COLUMNS = (
    _NUMBER,
    _MUNICIPALITY,
    _DEPARTMENT,
    _ISSUE_DATE,
    _DESCRIPTION,
    _QUANTITY,
    _UNIT_PRICE,
    _TAX,
)
# The invoice's own columns: the same on every row of one invoice.
_HEADER_LEVEL = (
    _MUNICIPALITY,
    _DEPARTMENT,
    _ISSUE_DATE,
    _DAY,
    _START,
    _END,
    _DUE,
    _SUBJECT,
    _NOTES,
)
_DATE_COLUMNS = (_ISSUE_DATE, _DAY, _START, _END, _DUE)

TAX_CATEGORY_LABELS: dict[str, str] = {
    "10%": TaxCategory.STANDARD,
    "8%": TaxCategory.REDUCED,
    "非課税": TaxCategory.EXEMPT,
    "不課税": TaxCategory.OUT_OF_SCOPE,
    "免税": TaxCategory.EXPORT,
}
# What else sales systems write for the same categories (after NFKC and
# without spaces): the portal's own labels, 軽減 spelled out, bare rates.
_TAX_ALIASES = {
    **TAX_CATEGORY_LABELS,
    **{nfkc(c.label): c.value for c in TaxCategory},
    "10": TaxCategory.STANDARD,
    "標準": TaxCategory.STANDARD,
    "8": TaxCategory.REDUCED,
    "8%(軽減)": TaxCategory.REDUCED,
    "8%軽減": TaxCategory.REDUCED,
    "軽減8%": TaxCategory.REDUCED,
    "※8%": TaxCategory.REDUCED,
    "軽減": TaxCategory.REDUCED,
}

ENCODING_LABELS = {
    "utf-8-sig": "UTF-8（BOM付き）",
    "utf-8": "UTF-8",
    "cp932": "Shift_JIS（CP932）",
}

PROGRESS_EVERY = 200  # lines between two progress reports
_IN_CHUNK = 2000  # numbers per ``IN`` query (SQLite limits its parameters)

_BOM = b"\xef\xbb\xbf"
_SAVE_AS_CSV = "Excelで「CSV（コンマ区切り）」として保存し直してください。"
# Fields of a line, with the limits and the number reading of screen entry.
_QUANTITY_FIELD = InvoiceLineForm.base_fields["quantity"]
_UNIT_PRICE_FIELD = InvoiceLineForm.base_fields["unit_price"]
_DATE_FIELD = JapaneseDateField()
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ERA_DATE = re.compile(
    r"(令和|平成|R|H)(元|\d{1,2})[年./-](\d{1,2})[月./-](\d{1,2})日?"
)
# 元号: (the year before its first year, first day, last day).
_ERAS = {
    "令和": (2018, date(2019, 5, 1), None),
    "平成": (1988, date(1989, 1, 8), date(2019, 4, 30)),
}
_ERA_LETTERS = {"R": "令和", "H": "平成"}
_DATE_FORMS = "2026-11-01、2026/11/1、20261101、R8.11.1、令和8年11月1日"
# Characters a PDF cannot show or a reader cannot see: control characters
# and 外字 (private use, e.g. the CP932 user-defined area F040–F9FC).
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\U000f0000-\U0010ffff]"
)
_TEXT_LIMITS = {_SUBJECT: 200, _DESCRIPTION: 200, _UNIT: 20, _NOTES: None}
_NUMBER_LIMIT = 40  # as Invoice.number


@dataclass(frozen=True)
class RowError:
    """One problem. ``row`` is the row as Excel numbers it (the header is
    row 1), ``None`` for the file as a whole; ``value`` is the cell as it
    is in the file; ``message`` says what is wrong and what to do."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.row == 1:
            return f"1行目（見出し）: {self.message}"
        where = f"{self.row}行目「{self.column}」" if self.column else f"{self.row}行目"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedInvoice:
    """An invoice the file would create, with its totals computed as screen
    entry computes them. ``buckets`` are (tax category label, taxable
    amount, tax) per tax category."""

    number: str
    connection_id: int
    municipality_name: str
    department_name: str
    fields: dict
    lines: tuple[LineInput, ...]
    rows: tuple[int, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    buckets: tuple[tuple[str, Decimal, Decimal], ...]


@dataclass(frozen=True)
class ParseResult:
    """``invoices`` are those without problems, in file order; the file can
    be imported only when there are no ``errors`` at all."""

    encoding: str
    line_count: int
    invoices: tuple[ParsedInvoice, ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


class CsvImportError(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, errors):
        self.errors = tuple(errors)
        super().__init__(
            f"CSVに{len(self.errors)}件の誤りがあります。何も取り込んでいません。"
        )


class _CellError(Exception):
    """A cell's value cannot be used; the argument is the message."""


class _FileError(Exception):
    """The file cannot be read at all."""

    def __init__(self, error: RowError):
        self.error = error


# Decoding ------------------------------------------------------------------


def _file_rejected(message: str) -> _FileError:
    return _FileError(RowError(None, "", "", message))


def _check_is_text(data: bytes) -> None:
    if not data.removeprefix(_BOM).strip():
        raise _file_rejected(
            "ファイルが空です。1行目に見出し、2行目から明細を入れたCSVファイルを"
            "選んでください。"
        )
    if data.startswith(b"PK\x03\x04"):
        raise _file_rejected(f"Excel形式（.xlsx）のファイルです。{_SAVE_AS_CSV}")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _file_rejected(f"Excel 97-2003形式（.xls）のファイルです。{_SAVE_AS_CSV}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_rejected(
            "UTF-16（Unicodeテキスト）のファイルです。Excelで「CSV UTF-8"
            "（コンマ区切り）」または「CSV（コンマ区切り）」として保存し直してください。"
        )
    if b"\x00" in data:
        raise _file_rejected(
            "CSVファイルではありません（文字ではないデータが含まれています）。"
            "Excelで「CSV（コンマ区切り）」または「CSV UTF-8（コンマ区切り）」"
            "として保存したファイルを選んでください。"
        )


def _position(before: str) -> tuple[int, str]:
    """The row and column of the cell that continues after ``before``."""
    # A character appended to the text lands in that cell, whatever quoting
    # and line ends come before it.
    try:
        rows = list(csv.reader(io.StringIO(before + "x", newline="")))
    except csv.Error:  # a cell over the csv module's size limit
        return before.count("\n") + 1, ""
    header, last = rows[0], rows[-1]
    if len(rows) == 1 or len(last) > len(header):
        return len(rows), ""
    return len(rows), nfkc(header[len(last) - 1])


def _undecodable(error: UnicodeDecodeError) -> _FileError:
    """The byte that cannot be decoded, with its row and column."""
    row, column = _position(error.object[: error.start].decode(error.encoding))
    bad = error.object[error.start : error.end]
    return _FileError(
        RowError(
            row,
            column,
            " ".join(f"0x{byte:02X}" for byte in bad),
            f"文字として読めないバイト（{bad.hex(' ').upper()}）があります。"
            "文字化けした文字や特殊な記号がないか確認し、Excelで「CSV UTF-8"
            "（コンマ区切り）」または「CSV（コンマ区切り）」として保存し直して"
            "ください。",
        )
    )


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with (``ENCODING_LABELS``).

    Every file starts with the Japanese header, so a CP932 file fails as
    UTF-8 at its very first character. A file that fails only after
    UTF-8 characters is UTF-8 with a broken byte, not CP932: reading it as
    CP932 would turn it into 文字化け instead of reporting the byte.
    """
    _check_is_text(data)
    if data.startswith(_BOM):
        try:
            return data[len(_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise _undecodable(error) from error
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if not error.object[: error.start].isascii():
            raise _undecodable(error) from error
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as error:
        raise _undecodable(error) from error


def _read_rows(text: str) -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            rows.append(cells)
    except csv.Error as error:
        # In practice a cell over the size limit: a quote never closed
        # swallows the rest of the file.
        raise _FileError(
            RowError(
                len(rows) + 1,
                "",
                "",
                f'この行をCSVとして読めません。「"」で始まるセルが「"」で'
                "閉じられているか、1つのセルが長すぎないか"
                f"（{csv.field_size_limit():,}文字まで）確認してください。",
            )
        ) from error
    return rows


# Header --------------------------------------------------------------------


def _header_columns(
    rows: list[list[str]],
) -> tuple[dict[int, str], list[RowError]]:
    """The columns by index, and what is wrong with the header."""
    raw_header = rows[0]
    header = [nfkc(cell) for cell in raw_header]
    allowed = "、".join(COLUMNS)
    if len(header) == 1 and "\t" in raw_header[0]:
        return {}, [
            RowError(1, "", raw_header[0], f"タブ区切りのファイルです。{_SAVE_AS_CSV}")
        ]
    if not set(header) & set(COLUMNS):
        return {}, [
            RowError(
                1,
                "",
                ",".join(raw_header)[:100],
                f"1行目が見出しになっていません。1行目には列名（{allowed}）を"
                "入れてください。",
            )
        ]
    columns: dict[int, str] = {}
    errors = []
    for index, (name, raw) in enumerate(zip(header, raw_header, strict=True)):
        if not name:
            if any(index < len(row) and row[index].strip() for row in rows[1:]):
                errors.append(
                    RowError(
                        1,
                        f"{index + 1}列目",
                        "",
                        f"{index + 1}列目に見出しがないのに値が入っています。"
                        "見出しを付けるか、この列を削除してください。"
                        f"使える列: {allowed}",
                    )
                )
        elif name not in COLUMNS:
            errors.append(
                RowError(
                    1,
                    raw,
                    raw,
                    f"「{raw}」という列は使えません。使える列: {allowed}",
                )
            )
        elif name in columns.values():
            errors.append(
                RowError(
                    1,
                    name,
                    raw,
                    f"「{name}」の列が2つあります。1つにしてください。",
                )
            )
        else:
            columns[index] = name
    present = set(columns.values())
    for name in _REQUIRED_COLUMNS:
        if name not in present:
            errors.append(
                RowError(1, name, "", f"「{name}」の列がありません。追加してください。")
            )
    if _DAY not in present and _START not in present:
        errors.append(
            RowError(
                1,
                _DAY,
                "",
                "「取引日」の列がありません。取引が期間の場合は「取引開始日」と"
                "「取引終了日」の列を入れてください。",
            )
        )
    for have, need in ((_START, _END), (_END, _START)):
        if have in present and need not in present:
            errors.append(
                RowError(
                    1,
                    need,
                    "",
                    f"「{have}」の列があるのに「{need}」の列がありません。"
                    "取引期間は両方の列で指定してください。",
                )
            )
    return columns, errors


# Cells ---------------------------------------------------------------------


def _invoice_number(raw: str) -> str:
    number = nfkc(raw)
    if len(number) > _NUMBER_LIMIT:
        raise _CellError(f"請求書番号は{_NUMBER_LIMIT}文字以内にしてください。")
    return number


def _municipality_code(raw: str) -> str:
    code = normalize_identifier(raw)
    if re.fullmatch(r"\d{5}", code):
        raise _CellError(
            f"「{raw}」は5桁です。全国地方公共団体コードは検査数字を含む6桁で"
            "入力してください（例: 462039）。Excelで先頭の0が消えた場合は、"
            "セルの書式を文字列にして保存し直してください。"
        )
    try:
        validate_local_government_code(code)
    except ValidationError as error:
        raise _CellError(error.messages[0]) from error
    return code


def _era_date(match: re.Match, raw: str) -> date:
    era = _ERA_LETTERS.get(match[1], match[1])
    offset, first, last = _ERAS[era]
    year = 1 if match[2] == "元" else int(match[2])
    day = date(offset + year, int(match[3]), int(match[4]))
    if day < first or (last and day > last):
        span = f"{first:%Y}年{first.month}月{first.day}日から"
        if last:
            span += f"{last:%Y}年{last.month}月{last.day}日まで"
        raise _CellError(f"「{raw}」は{era}の期間（{span}）にない日付です。")
    return day


def _date(raw: str) -> date:
    """A date as Excel and sales systems write it; western dates are read
    by the search form's ``invoices.fields.JapaneseDateField``."""
    text = re.sub(r"\s", "", nfkc(raw)).upper()
    try:
        if match := _COMPACT_DATE.fullmatch(text):
            return date(*map(int, match.groups()))
        if match := _ERA_DATE.fullmatch(text):
            return _era_date(match, raw)
        return _DATE_FIELD.to_python(text.replace(".", "/"))
    except (ValueError, ValidationError) as error:
        raise _CellError(
            f"「{raw}」は日付として読めません。{_DATE_FORMS} のいずれかの形で、"
            "実在する日付を入力してください。"
        ) from error


def _decimal(form_field, raw: str) -> Decimal:
    # In CP932 the yen sign is byte 5C, which decodes as a backslash.
    try:
        return form_field.clean(raw.replace("\\", ""))
    except ValidationError as error:
        code = error.error_list[0].code
    if code == "max_decimal_places":
        raise _CellError(
            f"「{raw}」は小数点以下の桁が多すぎます"
            f"（{form_field.decimal_places}桁までにしてください）。"
        )
    if code in ("max_digits", "max_whole_digits"):
        raise _CellError(
            f"「{raw}」は桁が多すぎます"
            f"（整数部分は{form_field.max_digits - form_field.decimal_places}"
            "桁までです）。"
        )
    raise _CellError(
        f"「{raw}」は数値として読めません。半角または全角の数字で入力してください"
        "（例: 10、1,000）。"
    )


def _quantity(raw: str) -> Decimal:
    quantity = _decimal(_QUANTITY_FIELD, raw)
    if quantity <= 0:
        raise _CellError("数量は0より大きい数にしてください。")
    return quantity


def _unit_price(raw: str) -> Decimal:
    unit_price = _decimal(_UNIT_PRICE_FIELD, raw)
    if unit_price < 0:
        raise _CellError("単価は0以上の数にしてください。")
    return unit_price


def _tax_category(raw: str) -> str:
    key = re.sub(r"\s", "", nfkc(raw))
    if key in _TAX_ALIASES:
        return _TAX_ALIASES[key]
    raise _CellError(
        f"「{raw}」という税区分はありません。"
        f"{'、'.join(TAX_CATEGORY_LABELS)} のいずれかを入力してください。"
    )


def _text(column: str, raw: str) -> str:
    text = raw.strip()
    limit = _TEXT_LIMITS[column]
    if limit and len(text) > limit:
        raise _CellError(
            f"{column}は{limit}文字以内にしてください（いまは{len(text)}文字）。"
        )
    if found := _UNPRINTABLE.search(text):
        raise _CellError(
            f"表示できない文字（U+{ord(found[0]):04X}、外字や制御文字）が"
            "含まれています。ふつうの文字に置き換えてください。"
        )
    return text


_PARSERS: dict[str, Callable[[str], object]] = {
    _NUMBER: _invoice_number,
    _MUNICIPALITY: _municipality_code,
    _DEPARTMENT: nfkc,
    **dict.fromkeys(_DATE_COLUMNS, _date),
    _QUANTITY: _quantity,
    _UNIT_PRICE: _unit_price,
    _TAX: _tax_category,
    **{column: partial(_text, column) for column in _TEXT_LIMITS},
}


@dataclass
class _Row:
    """One data row: its cells as typed, what they mean, and its problems."""

    number: int
    raw: dict[str, str]
    values: dict[str, object] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(
            RowError(self.number, column, self.raw.get(column, ""), message)
        )

    def good(self, column: str) -> bool:
        """Whether the cell was read without a problem."""
        return not any(error.column == column for error in self.errors)


def _row_read(row: _Row, columns: set[str]) -> None:
    for column in columns:
        raw = row.raw.get(column, "")
        if not raw.strip():
            row.values[column] = None if column not in _TEXT_LIMITS else ""
            if column in _REQUIRED_COLUMNS:
                hint = (
                    f"（{'、'.join(TAX_CATEGORY_LABELS)} のいずれか）"
                    if column == _TAX
                    else ""
                )
                row.error(column, f"{column}を入力してください{hint}。")
            continue
        try:
            row.values[column] = _PARSERS[column](raw)
        except _CellError as error:
            row.error(column, str(error))
    _row_period(row)
    quantity, unit_price = row.values.get(_QUANTITY), row.values.get(_UNIT_PRICE)
    if (
        row.good(_QUANTITY)
        and row.good(_UNIT_PRICE)
        and quantity * unit_price >= AMOUNT_LIMIT
    ):
        row.error(
            _UNIT_PRICE,
            "金額（数量×単価）が大きすぎます。数量と単価を確認してください。",
        )


def _row_period(row: _Row) -> None:
    """取引日, or the period 取引開始日–取引終了日: exactly one of them."""
    day, start, end = (row.values.get(c) for c in (_DAY, _START, _END))
    filled = {c for c in (_DAY, _START, _END) if row.raw.get(c, "").strip()}
    if _DAY in filled and filled & {_START, _END}:
        row.error(
            _START if _START in filled else _END,
            "取引日と取引期間（取引開始日・取引終了日）の両方に値があります。"
            "1日の取引なら取引日だけ、期間なら取引開始日と取引終了日だけを"
            "入力してください。",
        )
    elif not filled:
        row.error(
            _DAY if _DAY in row.raw else _START,
            "取引日を入力してください。取引が期間の場合は取引開始日と取引終了日を"
            "入力してください。",
        )
    elif _DAY not in filled and len(filled) == 1:
        (missing,) = {_START, _END} - filled
        row.error(
            missing,
            f"{missing}を入力してください（取引期間は取引開始日と取引終了日の"
            "両方で指定します）。",
        )
    elif start and end and end < start:
        row.error(
            _END,
            f"取引終了日（{end:%Y-%m-%d}）が取引開始日（{start:%Y-%m-%d}）より前です。"
            "取引終了日は取引開始日と同じか、それより後の日付にしてください。",
        )
    row.values["transaction_date"] = day or start
    row.values["transaction_end_date"] = None if day else end


# Invoices ------------------------------------------------------------------


@dataclass
class _Group:
    """The rows of one invoice number."""

    number: str
    rows: list[_Row]

    @property
    def first(self) -> _Row:
        return self.rows[0]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)


def _group_add(group: _Group, row: _Row) -> None:
    """Add a row, checking its invoice-level cells against the first row."""
    first = group.first
    for column in _HEADER_LEVEL:
        if column not in row.raw or not (first.good(column) and row.good(column)):
            continue
        if row.values[column] != first.values[column]:
            row.error(
                column,
                f"同じ請求書（請求書番号 {group.number}）の{first.number}行目の"
                f"「{first.raw[column]}」と違います。請求書番号が同じ行には、"
                f"{column}も同じ値を入れてください。",
            )
    group.rows.append(row)


@dataclass(frozen=True)
class _Addressees:
    """The municipalities, departments and the supplier's connections the
    file can name, read once."""

    municipalities: dict[str, tuple[int, str]]
    departments: dict[tuple[int, str], tuple[int, str, bool]]
    connections: dict[int, tuple[int, bool]]


def _addressees_load(supplier: Supplier, groups: list[_Group]) -> _Addressees:
    codes = {
        g.first.values[_MUNICIPALITY] for g in groups if g.first.good(_MUNICIPALITY)
    }
    municipalities = {
        code: (pk, name)
        for pk, code, name in Municipality.objects.filter(
            local_government_code__in=codes
        ).values_list("pk", "local_government_code", "name")
    }
    departments = {
        (municipality_id, code): (pk, name, is_active)
        for pk, municipality_id, code, name, is_active in (
            Department.objects.with_scopes_disabled()
            .filter(municipality_id__in=[pk for pk, _ in municipalities.values()])
            .values_list("pk", "municipality_id", "code", "name", "is_active")
        )
    }
    connections = {
        department_id: (pk, is_active)
        for pk, department_id, is_active in (
            Connection.objects.with_scopes_disabled()
            .filter(supplier=supplier)
            .values_list("pk", "department_id", "is_active")
        )
    }
    return _Addressees(municipalities, departments, connections)


def _numbers_taken(supplier: Supplier, numbers: list[str]) -> dict[str, date]:
    """The numbers already used by the supplier, with the day of their use."""
    taken = {}
    for start in range(0, len(numbers), _IN_CHUNK):
        taken.update(
            (number, timezone.localdate(created_at))
            for number, created_at in Invoice.objects.with_scopes_disabled()
            .filter(supplier=supplier, number__in=numbers[start : start + _IN_CHUNK])
            .values_list("number", "created_at")
        )
    return taken


def _zero_hint(addressees: _Addressees, municipality_id: int, code: str) -> str:
    """A hint when Excel dropped the leading zeros of a department code."""
    if not code.isdigit():
        return ""
    padded = [
        known
        for (m, known), _ in addressees.departments.items()
        if m == municipality_id
        and known.isdigit()
        and known != code
        and known.lstrip("0") == code.lstrip("0")
    ]
    if len(padded) != 1:
        return ""
    return (
        f"「{padded[0]}」のことなら、Excelで先頭の0が消えています。"
        "セルの書式を文字列にして保存し直してください。"
    )


def _connection_of(group: _Group, addressees: _Addressees) -> tuple | None:
    """(connection id, municipality name, department name), or ``None``
    after recording why the invoice cannot go there."""
    first = group.first
    if not (first.good(_MUNICIPALITY) and first.good(_DEPARTMENT)):
        return None
    code = first.values[_MUNICIPALITY]
    if code not in addressees.municipalities:
        first.error(
            _MUNICIPALITY,
            f"全国地方公共団体コード {code} の自治体は、このポータルに登録されて"
            "いません。宛先の自治体のコードを確認してください。",
        )
        return None
    municipality_id, municipality_name = addressees.municipalities[code]
    department_code = first.values[_DEPARTMENT]
    department = addressees.departments.get((municipality_id, department_code))
    if department is None:
        first.error(
            _DEPARTMENT,
            f"{municipality_name}に部署コード「{department_code}」の部署はありません。"
            "自治体から知らされた部署コードを確認してください。"
            + _zero_hint(addressees, municipality_id, department_code),
        )
        return None
    department_id, department_name, department_active = department
    addressee = f"{municipality_name} {department_name}"
    connection = addressees.connections.get(department_id)
    if connection is None:
        first.error(
            _DEPARTMENT,
            f"{addressee} とはまだ取引の登録がありません。"
            "自治体からの招待を承諾してから取り込んでください。",
        )
        return None
    connection_id, connection_active = connection
    if not (connection_active and department_active):
        first.error(
            _DEPARTMENT,
            f"{addressee} には現在請求書を送れません（取引の登録が無効です）。"
            "自治体に確認してください。",
        )
        return None
    return connection_id, municipality_name, department_name


def _invoice_of(
    group: _Group, addressee: tuple, supplier: Supplier
) -> ParsedInvoice | None:
    """The invoice with its totals, computed as screen entry computes them."""
    first = group.first
    lines = tuple(
        LineInput(
            description=row.values[_DESCRIPTION],
            quantity=row.values[_QUANTITY],
            unit_price=row.values[_UNIT_PRICE],
            tax_category=row.values[_TAX],
            unit=row.values.get(_UNIT, ""),
        )
        for row in group.rows
    )
    rounding = supplier.tax_rounding
    price_basis = supplier.default_price_basis
    amounts = [
        line_amount(
            quantity=line.quantity, unit_price=line.unit_price, rounding=rounding
        )
        for line in lines
    ]
    # The checks of screen entry's service, with the file's row numbers.
    over = [
        row
        for row, amount in zip(group.rows, amounts, strict=True)
        if amount > AMOUNT_MAX
    ]
    for row in over:
        row.error(_UNIT_PRICE, amount_over_limit(gettext("金額（数量×単価）")))
    totals = invoice_totals(
        lines=[
            (line.tax_category, amount)
            for line, amount in zip(lines, amounts, strict=True)
        ],
        price_basis=price_basis,
        rounding=rounding,
    )
    problems = [] if over else amount_limit_problems(amounts=(), totals=totals)
    for problem in problems:
        first.error(_NUMBER, problem)
    if over or problems:
        return None
    connection_id, municipality_name, department_name = addressee
    return ParsedInvoice(
        number=group.number,
        connection_id=connection_id,
        municipality_name=municipality_name,
        department_name=department_name,
        fields={
            "number": group.number,
            "issue_date": first.values[_ISSUE_DATE],
            "transaction_date": first.values["transaction_date"],
            "transaction_end_date": first.values["transaction_end_date"],
            "due_date": first.values.get(_DUE),
            "subject": first.values.get(_SUBJECT, ""),
            "notes": first.values.get(_NOTES, ""),
            "price_basis": price_basis,
        },
        lines=lines,
        rows=tuple(row.number for row in group.rows),
        subtotal=totals.subtotal,
        tax_total=totals.tax_total,
        total=totals.total,
        buckets=tuple(
            (TaxCategory(b.category).label, b.taxable_amount, b.tax_amount)
            for b in totals.buckets
        ),
    )


def _rows_grouped(
    rows: list[list[str]],
    columns: dict[int, str],
    progress: Callable[[int, int], None] | None,
) -> tuple[list[_Group], list[_Row], int]:
    """Read every data row and group the rows by invoice number. Returns the
    groups, the rows that belong to none, and the number of lines."""
    width = len(rows[0])
    present = set(columns.values())
    data = [
        (number, cells)
        for number, cells in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    groups: dict[str, _Group] = {}
    loose: list[_Row] = []
    previous = None
    for done, (number, cells) in enumerate(data):
        if progress and done and done % PROGRESS_EVERY == 0:
            progress(done, len(data))
        # Every column of the header, empty when the row is shorter.
        row = _Row(
            number,
            {name: cells[i] if i < len(cells) else "" for i, name in columns.items()},
        )
        if len(cells) > width:
            # Typically a value with a comma that was not quoted: every cell
            # after it moved one column to the right.
            row.error(
                "",
                f"セルが{len(cells)}個あり、見出し（{width}列）より多くなっています。"
                '値に「,」が含まれる場合は、セルを「"」で囲んでください。',
            )
            loose.append(row)
            continue
        _row_read(row, present)
        key = row.values.get(_NUMBER)
        if not row.good(_NUMBER) or key is None:
            loose.append(row)
            continue
        if key not in groups:
            groups[key] = _Group(key, [row])
        else:
            group = groups[key]
            if previous != key:
                row.error(
                    _NUMBER,
                    f"請求書番号 {key} は{group.first.number}行目からの請求書と"
                    "同じ番号です。同じ請求書の明細は続けて並べてください。"
                    "別の請求書なら別の番号にしてください。",
                )
            _group_add(group, row)
        previous = key
    return list(groups.values()), loose, len(data)


def _errors_sorted(errors: list[RowError]) -> tuple[RowError, ...]:
    order = {name: index for index, name in enumerate(COLUMNS)}
    return tuple(
        sorted(
            errors,
            key=lambda e: (e.row or 0, order.get(e.column, len(COLUMNS))),
        )
    )


def csv_parse(
    *,
    data: bytes,
    supplier: Supplier,
    progress: Callable[[int, int], None] | None = None,
) -> ParseResult:
    """Decode and check the whole file; nothing is written.

    Every invoice without problems is described with its addressee and
    totals; every problem is listed with its row, column, value and what to
    do. ``progress(done_lines, total_lines)`` is called every
    ``PROGRESS_EVERY`` lines and once at the end. Needs no active scope.
    """
    try:
        text, encoding = _decode(data)
        rows = _read_rows(text)
    except _FileError as rejected:
        return ParseResult("", 0, (), (rejected.error,))
    columns, header_errors = _header_columns(rows)
    if header_errors:
        return ParseResult(encoding, 0, (), _errors_sorted(header_errors))
    groups, loose, line_count = _rows_grouped(rows, columns, progress)
    if not line_count:
        return ParseResult(
            encoding,
            0,
            (),
            (
                RowError(
                    None,
                    "",
                    "",
                    "明細の行がありません。2行目から1行に明細を1つずつ入れてください。",
                ),
            ),
        )
    addressees = _addressees_load(supplier, groups)
    taken = _numbers_taken(supplier, [g.number for g in groups])
    invoices = []
    for group in groups:
        if group.number in taken:
            day = taken[group.number]
            group.first.error(
                _NUMBER,
                f"請求書番号 {group.number} はすでに登録されています"
                f"（{day.year}年{day.month}月{day.day}日）。"
                "同じファイルを二度取り込んでいないか確認してください。",
            )
        addressee = _connection_of(group, addressees)
        if addressee is not None and not group.has_errors:
            invoice = _invoice_of(group, addressee, supplier)
            if invoice is not None:
                invoices.append(invoice)
    if progress:
        progress(line_count, line_count)
    errors = [e for row in loose for e in row.errors]
    errors += [e for group in groups for row in group.rows for e in row.errors]
    return ParseResult(encoding, line_count, tuple(invoices), _errors_sorted(errors))


def csv_issue_problems(
    *, result: ParseResult, supplier: Supplier
) -> tuple[RowError, ...]:
    """Why the parsed invoices could be saved as drafts but not issued (the
    checks of ``invoice_issue_problems`` that a file can fail)."""
    errors = []
    if not supplier.registration_number:
        errors.append(
            RowError(
                None,
                "",
                "",
                "適格請求書の発行には登録番号が必要です。事業者情報で登録番号を"
                "設定するか、下書きとして取り込んでください。",
            )
        )
    errors += [
        RowError(
            invoice.rows[0],
            _NUMBER,
            invoice.number,
            f"請求書番号 {invoice.number} は請求金額が0円のため発行できません。"
            "明細の数量と単価を確認するか、下書きとして取り込んでください。",
        )
        for invoice in result.invoices
        if invoice.total <= 0
    ]
    return tuple(errors)


def _service_error(invoice: ParsedInvoice, error: ValidationError) -> RowError:
    return RowError(
        invoice.rows[0],
        _NUMBER if NUMBER_TAKEN in error.messages else "",
        invoice.number,
        f"請求書番号 {invoice.number}: {' '.join(error.messages)}",
    )


def csv_import(
    *,
    data: bytes,
    supplier: Supplier,
    actor,
    issue: bool,
    progress: Callable[[int, int], None] | None = None,
) -> list[Invoice]:
    """Create every invoice of the file, as drafts or issued (``issue``),
    through the services of screen entry, in one transaction: with any
    problem or exception, nothing remains.

    Parses the file again rather than trusting an earlier preview. Raises
    ``CsvImportError`` listing the problems. ``progress(done_lines,
    total_lines)`` reports the lines written; it runs inside the
    transaction. Needs no active scope. May run inside the caller's
    transaction (e.g. to mark the upload done with it).
    """
    result = csv_parse(data=data, supplier=supplier)
    errors = result.errors or (
        csv_issue_problems(result=result, supplier=supplier) if issue else ()
    )
    if errors:
        raise CsvImportError(errors)
    connections = (
        Connection.objects.with_scopes_disabled()
        .filter(supplier=supplier)
        .select_related("municipality", "department")
        .in_bulk({invoice.connection_id for invoice in result.invoices})
    )
    municipality_ids = sorted({c.municipality_id for c in connections.values()})
    created = []
    done = reported = 0
    # The services run in the scope of the municipalities the file is
    # addressed to, as screen entry runs in the scope of the supplier's
    # municipalities: their unique checks (full_clean) need a scope, and a
    # query that strays to another tenant's data still finds nothing.
    with scope(municipality=municipality_ids), transaction.atomic():
        for parsed in result.invoices:
            try:
                invoice = invoice_draft_save(
                    supplier=supplier,
                    actor=actor,
                    connection=connections[parsed.connection_id],
                    fields=parsed.fields,
                    lines=list(parsed.lines),
                )
                if issue:
                    invoice = invoice_issue(invoice=invoice, actor=actor)
            except ValidationError as error:
                # E.g. the number was taken since the file was parsed.
                raise CsvImportError([_service_error(parsed, error)]) from error
            created.append(invoice)
            done += len(parsed.lines)
            if progress and done - reported >= PROGRESS_EVERY:
                progress(done, result.line_count)
                reported = done
        if progress:
            progress(result.line_count, result.line_count)
    return created


def preview_json(result: ParseResult) -> dict:
    """The result as JSON values, for ``InvoiceImport.preview``: amounts
    and dates are strings."""

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "encoding": result.encoding,
        "encoding_label": ENCODING_LABELS.get(result.encoding, ""),
        "line_count": result.line_count,
        "invoice_count": len(result.invoices),
        "ok": result.ok,
        "total": str(sum((invoice.total for invoice in result.invoices), Decimal(0))),
        "invoices": [
            {
                "number": invoice.number,
                "connection_id": invoice.connection_id,
                "municipality": invoice.municipality_name,
                "department": invoice.department_name,
                "first_row": invoice.rows[0],
                "line_count": len(invoice.lines),
                "issue_date": day(invoice.fields["issue_date"]),
                "transaction_date": day(invoice.fields["transaction_date"]),
                "transaction_end_date": day(invoice.fields["transaction_end_date"]),
                "due_date": day(invoice.fields["due_date"]),
                "subject": invoice.fields["subject"],
                "price_basis": invoice.fields["price_basis"],
                "subtotal": str(invoice.subtotal),
                "tax_total": str(invoice.tax_total),
                "total": str(invoice.total),
                "buckets": [
                    {"label": label, "taxable": str(taxable), "tax": str(tax)}
                    for label, taxable, tax in invoice.buckets
                ],
            }
            for invoice in result.invoices
        ],
        "errors": [
            {
                "row": error.row,
                "column": error.column,
                "value": error.value,
                "message": error.message,
                "text": str(error),
            }
            for error in result.errors
        ],
    }
