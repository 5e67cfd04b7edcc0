"""Bytes to rows of text cells.

Decoding follows jp-invoice-law.md §5.1: a UTF-8 BOM means UTF-8; else
strict UTF-8; else CP932 (never shift_jis, which fails on ①, ㈱ and 髙).
Files that are not CSV text at all (empty, Excel workbooks, UTF-16,
binary) are refused with what to do instead.

The standard ``csv`` module reads the rows, not tablib: tablib's loader
drops blank rows, so the row numbers would no longer be the ones Excel
shows, and it refuses a row longer than the header without saying which.
"""

import csv
import io

from django.utils.translation import gettext, gettext_lazy as _

from invoices.csv_import.results import RowError
from invoices.fields import nfkc

ENCODING_LABELS = {
    "utf-8-sig": _("UTF-8（BOM付き）"),
    "utf-8": "UTF-8",
    "cp932": "Shift_JIS（CP932）",
}

_BOM = b"\xef\xbb\xbf"
_SAVE_AS_CSV = _("Excelで「CSV（コンマ区切り）」として保存し直してください。")


class _FileError(Exception):
    """The file cannot be read at all."""

    def __init__(self, error: RowError):
        self.error = error


def _file_rejected(message: str) -> _FileError:
    return _FileError(RowError(None, "", "", message))


def _check_is_text(data: bytes) -> None:
    if not data.removeprefix(_BOM).strip():
        raise _file_rejected(
            gettext(
                "ファイルが空です。1行目に見出し、2行目から明細を入れたCSVファイルを"
                "選んでください。"
            )
        )
    if data.startswith(b"PK\x03\x04"):
        raise _file_rejected(
            gettext("Excel形式（.xlsx）のファイルです。%(save_as)s")
            % {"save_as": _SAVE_AS_CSV}
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _file_rejected(
            gettext("Excel 97-2003形式（.xls）のファイルです。%(save_as)s")
            % {"save_as": _SAVE_AS_CSV}
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_rejected(
            gettext(
                "UTF-16（Unicodeテキスト）のファイルです。Excelで「CSV UTF-8"
                "（コンマ区切り）」または「CSV（コンマ区切り）」として保存し直して"
                "ください。"
            )
        )
    if b"\x00" in data:
        raise _file_rejected(
            gettext(
                "CSVファイルではありません（文字ではないデータが含まれています）。"
                "Excelで「CSV（コンマ区切り）」または「CSV UTF-8（コンマ区切り）」"
                "として保存したファイルを選んでください。"
            )
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
            gettext(
                "文字として読めないバイト（%(bytes)s）があります。"
                "文字化けした文字や特殊な記号がないか確認し、Excelで「CSV UTF-8"
                "（コンマ区切り）」または「CSV（コンマ区切り）」として保存し直して"
                "ください。"
            )
            % {"bytes": bad.hex(" ").upper()},
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
                gettext(
                    'この行をCSVとして読めません。「"」で始まるセルが「"」で'
                    "閉じられているか、1つのセルが長すぎないか"
                    "（%(limit)s文字まで）確認してください。"
                )
                % {"limit": f"{csv.field_size_limit():,}"},
            )
        ) from error
    return rows
