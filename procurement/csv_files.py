"""Reading the CSV files of the 財務会計 system and of suppliers.

Decoding follows jp-invoice-law.md §5.1: a UTF-8 BOM means UTF-8; else
strict UTF-8; else CP932 (never shift_jis). Cells are NFKC-normalised
(full-width digits and letters) and stripped. Problems name the row as
Excel numbers it (the header is row 1) and the column."""

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

_BOM = b"\xef\xbb\xbf"
MAX_ROWS = 5000


@dataclass(frozen=True)
class CsvProblem:
    row: int | None
    column: str
    message: str


class CsvError(Exception):
    """The file was not imported; ``problems`` says why, row by row."""

    def __init__(self, problems: list[CsvProblem]):
        super().__init__(problems)
        self.problems = problems


def _decode(data: bytes) -> str:
    if data.startswith(_BOM):
        return data[len(_BOM) :].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def csv_rows(*, data: bytes, headers: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(row number, {header: cell}) for each non-empty row. Raises
    ``CsvError`` when the file cannot be read or a required header is
    missing."""
    if data.startswith(b"PK\x03\x04") or not data.strip():
        raise CsvError(
            [
                CsvProblem(
                    None,
                    "",
                    gettext(
                        "CSVファイルとして読めません。Excelで「CSV（コンマ区切り）」"
                        "として保存したファイルを選んでください。"
                    ),
                )
            ]
        )
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise CsvError(
            [
                CsvProblem(
                    None,
                    "",
                    gettext(
                        "文字コードが読めません。UTF-8 または Shift_JIS（CP932）で"
                        "保存してください。"
                    ),
                )
            ]
        ) from error
    reader = csv.reader(io.StringIO(text))
    header = [cell_text(c) for c in next(reader, [])]
    if missing := [h for h in headers if h not in header]:
        raise CsvError(
            [
                CsvProblem(
                    1,
                    h,
                    gettext("見出しの行に「%(column)s」の列がありません。")
                    % {"column": h},
                )
                for h in missing
            ]
        )
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise CsvError(
                [
                    CsvProblem(
                        number,
                        "",
                        gettext(
                            "1回に取り込めるのは%(max)s行までです。分けてください。"
                        )
                        % {"max": MAX_ROWS},
                    )
                ]
            )
        values = {
            h: cell_text(cells[i]) if i < len(cells) else ""
            for i, h in enumerate(header)
        }
        rows.append((number, values))
    if not rows:
        raise CsvError(
            [CsvProblem(None, "", gettext("見出しの次の行から内容を入れてください。"))]
        )
    return rows


def cell_text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def parse_date(value: str) -> date | None:
    """2026-04-01, 2026/4/1 or 20260401; ``None`` if it is none of them."""
    value = value.replace("/", "-")
    try:
        if "-" not in value and len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        year, month, day = (int(p) for p in value.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def parse_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
