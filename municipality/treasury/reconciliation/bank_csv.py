"""Net-banking CSV statements (入出金明細CSV): every bank lays its columns
out differently, so the supplier names them (``CsvMapping``: a column
number from 1, or the heading as the file writes it). Rows without an
amount, or with zero or a negative one, are payments out or balances, and
are skipped."""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext

from municipality.treasury.reconciliation.credits import (
    BankFileError,
    Credit,
    ParsedFile,
)
from municipality.treasury.reconciliation.incoming import looks_like_zengin

MAX_PROBLEMS = 50
_BOM = b"\xef\xbb\xbf"
_DATE = re.compile(r"([0-9]{4})[/.\-年]([0-9]{1,2})[/.\-月]([0-9]{1,2})日?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_ERA_DATE = re.compile(
    r"(R|H|令和|平成)([0-9]{1,2})[/.\-年]([0-9]{1,2})[/.\-月]([0-9]{1,2})日?"
)
_ERA_BASE = {"R": 2018, "令和": 2018, "H": 1988, "平成": 1988}
_AMOUNT = re.compile(r"-?[0-9]+")
# Thousands separators, currency marks and spaces around an amount.
_AMOUNT_NOISE = re.compile(r"[,円¥\\\s]")


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what; ``edi`` (EDI情報 or 摘要) may be blank."""

    date: str
    amount: str
    payer: str
    edi: str = ""
    has_header: bool = True
    labels: dict = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        return {
            "date": self.date,
            "amount": self.amount,
            "payer": self.payer,
            "edi": self.edi,
            "has_header": self.has_header,
        }


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _decode(data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise BankFileError(
            [
                gettext(
                    "Excel形式のファイルです。Excelで「CSV（コンマ区切り）」として"
                    "保存し直すか、金融機関の画面でCSV形式を選んでダウンロードしてください。"
                )
            ]
        )
    if data.startswith(b"%PDF") or b"\x00" in data:
        raise BankFileError(
            [
                gettext(
                    "CSVファイルではありません（文字ではないデータが含まれています）。"
                    "金融機関の画面からCSV形式の入出金明細をダウンロードしてください。"
                )
            ]
        )
    if looks_like_zengin(data) and b"," not in data.split(b"\n", 1)[0]:
        raise BankFileError(
            [
                gettext(
                    "全銀協形式（固定長）のファイルのようです。"
                    "ファイルの種類で「全銀協形式」を選んでください。"
                )
            ]
        )
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BankFileError(
        [
            gettext(
                "文字コードを判別できません。UTF-8またはShift_JIS（CP932）の"
                "CSVファイルを選んでください。"
            )
        ]
    )


def _column(spec: str, header: list[str] | None, what: str) -> int:
    spec = _nfkc(spec)
    if spec.isdigit():
        index = int(spec) - 1
        if index < 0:
            raise BankFileError(
                [
                    gettext("「%(what)s」の列番号は1以上にしてください。")
                    % {"what": what}
                ]
            )
        return index
    if header is None:
        raise BankFileError(
            [
                gettext(
                    "「%(what)s」の列「%(spec)s」: 見出し行がないファイルでは、"
                    "列は番号（1から）で指定してください。"
                )
                % {"what": what, "spec": spec}
            ]
        )
    names = [_nfkc(name) for name in header]
    if spec not in names:
        raise BankFileError(
            [
                gettext(
                    "「%(what)s」の列「%(spec)s」が見出し行にありません。"
                    "見出しは %(names)s です。"
                )
                % {"what": what, "spec": spec, "names": "、".join(names)}
            ]
        )
    return names.index(spec)


def parse_date(text: str) -> date | None:
    """A date as banks write it: 2026/11/27, 2026-11-27, 20261127,
    2026年11月27日, R8.11.27 or 令和8年11月27日 (a time after a space is
    ignored); None when it is none of these or no such day."""
    text = _nfkc(text).split(" ")[0]
    try:
        if match := _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text):
            return date(*map(int, match.groups()))
        if match := _ERA_DATE.fullmatch(text):
            era, year, month, day = match.groups()
            return date(_ERA_BASE[era] + int(year), int(month), int(day))
    except ValueError:
        return None
    return None


def parse_bank_csv(data: bytes, *, mapping: CsvMapping) -> ParsedFile:
    """The credits of a net-banking CSV. Raises ``BankFileError`` naming
    each row and column that cannot be read."""
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise BankFileError(
            [gettext("CSVとして読めません: %(error)s") % {"error": error}]
        ) from error
    header = rows[0] if mapping.has_header and rows else None
    labels = mapping.labels or {}
    columns = {
        name: _column(spec, header, str(labels.get(name, name)))
        for name, spec in (
            ("date", mapping.date),
            ("amount", mapping.amount),
            ("payer", mapping.payer),
            ("edi", mapping.edi),
        )
        if spec
    }
    shown = {
        name: _nfkc(header[index])
        if header is not None and index < len(header)
        else gettext("%(n)s列目") % {"n": index + 1}
        for name, index in columns.items()
    }
    first = 2 if header is not None else 1
    problems: list[str] = []
    credits: list[Credit] = []
    skipped = 0
    for number, cells in enumerate(rows[first - 1 :], start=first):
        if not any(cell.strip() for cell in cells):
            continue

        def cell(name, cells=cells):
            index = columns.get(name)
            return (
                _nfkc(cells[index]) if index is not None and index < len(cells) else ""
            )

        row_problems = []
        amount_text = _AMOUNT_NOISE.sub("", cell("amount"))
        if not amount_text:
            skipped += 1
            continue
        if not _AMOUNT.fullmatch(amount_text):
            row_problems.append(
                gettext(
                    "%(row)s行目「%(column)s」: 「%(value)s」は金額"
                    "（円単位の整数）として読めません。"
                )
                % {
                    "row": number,
                    "column": shown["amount"],
                    "value": cell("amount"),
                }
            )
        booking = parse_date(cell("date"))
        if booking is None:
            row_problems.append(
                gettext(
                    "%(row)s行目「%(column)s」: 「%(value)s」は日付として読めません"
                    "（例: 2026/11/27、20261127、令和8年11月27日）。"
                )
                % {
                    "row": number,
                    "column": shown["date"],
                    "value": cell("date"),
                }
            )
        if row_problems:
            problems.extend(row_problems)
            continue
        amount = int(amount_text)
        if amount <= 0:
            skipped += 1
            continue
        credits.append(
            Credit(
                row=number,
                booking_date=booking,
                amount=amount,
                payer_name=cell("payer"),
                edi=cell("edi"),
            )
        )
    if problems:
        raise BankFileError(problems[:MAX_PROBLEMS])
    if not credits:
        raise BankFileError(
            [
                gettext(
                    "入金の行が1行もありません。「入金額」の列の指定と、"
                    "見出し行の有無を確認してください。"
                )
            ]
        )
    return ParsedFile(source="csv", credits=credits, skipped=skipped)
