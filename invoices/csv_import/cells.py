"""One data row's cells read into values: invoice numbers, municipality
codes, dates (western, compact and 元号), quantities and unit prices with
the limits of screen entry, tax categories as sales systems write them, and
text. Text columns keep what was typed (only surrounding spaces go); codes,
numbers and dates are read from an NFKC-normalised copy, and messages quote
the cell as it is in the file."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, pgettext

from invoices.csv_import.header import (
    _DATE_COLUMNS,
    _DAY,
    _DEPARTMENT,
    _DESCRIPTION,
    _END,
    _LINE_NOTE,
    _MUNICIPALITY,
    _NOTES,
    _NUMBER,
    _ORDER_NUMBER,
    _QUANTITY,
    _REQUIRED_COLUMNS,
    _START,
    _SUBJECT,
    _TAX,
    _UNIT,
    _UNIT_PRICE,
)
from invoices.csv_import.results import RowError
from invoices.fields import JapaneseDateField, nfkc
from invoices.forms import AMOUNT_LIMIT, InvoiceLineForm
from invoices.models import TaxCategory
from invoices.tax import QUANTITY_ZERO, line_sign_problem
from municipality.validators import (
    normalize_identifier,
    validate_local_government_code,
)

TAX_CATEGORY_LABELS: dict[str, str] = {
    "10%": TaxCategory.STANDARD,
    "8%": TaxCategory.REDUCED,
    "非課税": TaxCategory.EXEMPT,
    "不課税": TaxCategory.OUT_OF_SCOPE,
    "免税": TaxCategory.EXPORT,
}
# What else sales systems write for the same categories (after NFKC and
# without spaces): the portal's own Japanese labels (TaxCategory's, written
# out: files are read the same whatever the user's language), 軽減 spelled
# out, bare rates.
_TAX_ALIASES = {
    **TAX_CATEGORY_LABELS,
    "10%(標準税率)": TaxCategory.STANDARD,
    "8%(軽減税率)": TaxCategory.REDUCED,
    "免税(輸出)": TaxCategory.EXPORT,
    "10": TaxCategory.STANDARD,
    "標準": TaxCategory.STANDARD,
    "8": TaxCategory.REDUCED,
    "8%(軽減)": TaxCategory.REDUCED,
    "8%軽減": TaxCategory.REDUCED,
    "軽減8%": TaxCategory.REDUCED,
    "※8%": TaxCategory.REDUCED,
    "軽減": TaxCategory.REDUCED,
}

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
_TEXT_LIMITS = {
    _SUBJECT: 200,
    _ORDER_NUMBER: 40,  # as Invoice.order_number
    _DESCRIPTION: 200,
    _UNIT: 20,
    _NOTES: None,
    _LINE_NOTE: 200,  # as InvoiceLine.note
}
_NUMBER_LIMIT = 40  # as Invoice.number


class _CellError(Exception):
    """A cell's value cannot be used; the argument is the message."""


def _invoice_number(raw: str) -> str:
    number = nfkc(raw)
    if len(number) > _NUMBER_LIMIT:
        raise _CellError(
            gettext("請求書番号は%(limit)s文字以内にしてください。")
            % {"limit": _NUMBER_LIMIT}
        )
    return number


def _municipality_code(raw: str) -> str:
    code = normalize_identifier(raw)
    if re.fullmatch(r"\d{5}", code):
        raise _CellError(
            gettext(
                "「%(value)s」は5桁です。全国地方公共団体コードは検査数字を含む6桁で"
                "入力してください（例: 462039）。Excelで先頭の0が消えた場合は、"
                "セルの書式を文字列にして保存し直してください。"
            )
            % {"value": raw}
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
        day_format = pgettext("date format", "Y年n月j日")
        values = {
            "value": raw,
            "era": era,
            "first": date_format(first, day_format),
            "last": last and date_format(last, day_format),
        }
        if last:
            message = gettext(
                "「%(value)s」は%(era)sの期間（%(first)sから%(last)sまで）に"
                "ない日付です。"
            )
        else:
            message = gettext(
                "「%(value)s」は%(era)sの期間（%(first)sから）にない日付です。"
            )
        raise _CellError(message % values)
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
            gettext(
                "「%(value)s」は日付として読めません。%(forms)s のいずれかの形で、"
                "実在する日付を入力してください。"
            )
            % {"value": raw, "forms": _DATE_FORMS}
        ) from error


def _decimal(form_field, raw: str) -> Decimal:
    # In CP932 the yen sign is byte 5C, which decodes as a backslash.
    try:
        return form_field.clean(raw.replace("\\", ""))
    except ValidationError as error:
        code = error.error_list[0].code
    if code == "max_decimal_places":
        raise _CellError(
            gettext(
                "「%(value)s」は小数点以下の桁が多すぎます"
                "（%(places)s桁までにしてください）。"
            )
            % {"value": raw, "places": form_field.decimal_places}
        )
    if code in ("max_digits", "max_whole_digits"):
        raise _CellError(
            gettext("「%(value)s」は桁が多すぎます（整数部分は%(digits)s桁までです）。")
            % {
                "value": raw,
                "digits": form_field.max_digits - form_field.decimal_places,
            }
        )
    raise _CellError(
        gettext(
            "「%(value)s」は数値として読めません。半角または全角の数字で"
            "入力してください（例: 10、1,000）。"
        )
        % {"value": raw}
    )


def _quantity(raw: str) -> Decimal:
    quantity = _decimal(_QUANTITY_FIELD, raw)
    if quantity == 0:
        raise _CellError(str(QUANTITY_ZERO))
    return quantity


def _unit_price(raw: str) -> Decimal:
    # A discount (値引き) has a negative unit price: -1000, ▲1,000, －1000.
    return _decimal(_UNIT_PRICE_FIELD, raw)


def _tax_category(raw: str) -> str:
    key = re.sub(r"\s", "", nfkc(raw))
    if key in _TAX_ALIASES:
        return _TAX_ALIASES[key]
    raise _CellError(
        gettext(
            "「%(value)s」という税区分はありません。"
            "%(labels)s のいずれかを入力してください。"
        )
        % {"value": raw, "labels": _tax_labels()}
    )


def _tax_labels() -> str:
    return pgettext("list separator", "、").join(TAX_CATEGORY_LABELS)


def _text(column: str, raw: str) -> str:
    text = raw.strip()
    limit = _TEXT_LIMITS[column]
    if limit and len(text) > limit:
        raise _CellError(
            gettext(
                "%(column)sは%(limit)s文字以内にしてください（いまは%(length)s文字）。"
            )
            % {"column": column, "limit": limit, "length": len(text)}
        )
    if found := _UNPRINTABLE.search(text):
        raise _CellError(
            gettext(
                "表示できない文字（U+%(code)s、外字や制御文字）が"
                "含まれています。ふつうの文字に置き換えてください。"
            )
            % {"code": f"{ord(found[0]):04X}"}
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
    """One data row: its cells as typed, what they mean, its problems, and
    what was read differently from how it was typed (``notices``)."""

    number: int
    raw: dict[str, str]
    values: dict[str, object] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(
            RowError(self.number, column, self.raw.get(column, ""), message)
        )

    def notice(self, column: str, message: str) -> None:
        self.notices.append(
            RowError(self.number, column, self.raw.get(column, ""), message)
        )

    def good(self, column: str) -> bool:
        """Whether the cell was read without a problem."""
        return not any(error.column == column for error in self.errors)


def _row_read(row: _Row, columns: set[str], readings: dict) -> None:
    """Read the row's cells. ``readings`` holds what each (column, text) read
    as, shared by the rows of one file: a file repeats its codes, dates,
    units, tax categories and prices on row after row, and reading a cell
    depends on its text only."""
    for column in columns:
        raw = row.raw.get(column, "")
        if not raw.strip():
            row.values[column] = None if column not in _TEXT_LIMITS else ""
            if column in _REQUIRED_COLUMNS:
                if column == _TAX:
                    message = gettext(
                        "%(column)sを入力してください（%(labels)s のいずれか）。"
                    ) % {"column": column, "labels": _tax_labels()}
                else:
                    message = gettext("%(column)sを入力してください。") % {
                        "column": column
                    }
                row.error(column, message)
            continue
        read = readings.get((column, raw))
        if read is None:
            try:
                read = (True, _PARSERS[column](raw))
            except _CellError as error:
                read = (False, str(error))
            readings[column, raw] = read
        good, value = read
        if good:
            row.values[column] = value
        else:
            row.error(column, value)
    _row_period(row)
    quantity, unit_price = row.values.get(_QUANTITY), row.values.get(_UNIT_PRICE)
    if not (row.good(_QUANTITY) and row.good(_UNIT_PRICE)):
        return
    if problem := line_sign_problem(quantity=quantity, unit_price=unit_price):
        row.error(_UNIT_PRICE, problem)
    elif abs(quantity * unit_price) >= AMOUNT_LIMIT:
        row.error(
            _UNIT_PRICE,
            gettext("金額（数量×単価）が大きすぎます。数量と単価を確認してください。"),
        )


def _row_period(row: _Row) -> None:
    """取引日, or the period 取引開始日–取引終了日: exactly one of them."""
    day, start, end = (row.values.get(c) for c in (_DAY, _START, _END))
    filled = {c for c in (_DAY, _START, _END) if row.raw.get(c, "").strip()}
    if _DAY in filled and filled & {_START, _END}:
        row.error(
            _START if _START in filled else _END,
            gettext(
                "取引日と取引期間（取引開始日・取引終了日）の両方に値があります。"
                "1日の取引なら取引日だけ、期間なら取引開始日と取引終了日だけを"
                "入力してください。"
            ),
        )
    elif not filled:
        row.error(
            _DAY if _DAY in row.raw else _START,
            gettext(
                "取引日を入力してください。取引が期間の場合は取引開始日と取引終了日を"
                "入力してください。"
            ),
        )
    elif _DAY not in filled and len(filled) == 1:
        (missing,) = {_START, _END} - filled
        row.error(
            missing,
            gettext(
                "%(column)sを入力してください（取引期間は取引開始日と取引終了日の"
                "両方で指定します）。"
            )
            % {"column": missing},
        )
    elif start and end and end < start:
        row.error(
            _END,
            gettext(
                "取引終了日（%(end)s）が取引開始日（%(start)s）より前です。"
                "取引終了日は取引開始日と同じか、それより後の日付にしてください。"
            )
            % {"end": f"{end:%Y-%m-%d}", "start": f"{start:%Y-%m-%d}"},
        )
    row.values["transaction_date"] = day or start
    row.values["transaction_end_date"] = None if day else end
