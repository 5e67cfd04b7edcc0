"""Builders of bank files for the reconciliation tests, written from the
layout tables of ``reference/zengin.md`` §3 (振込入金通知 種別01 format A,
入出金取引明細 種別03), independently of the portal's parser: each record
is 200 spaces with each field put at its 1-based position and width. No
tests here."""

from dataclasses import dataclass
from datetime import date

LENGTH = 200


def wareki(day: date) -> str:
    """令和 YYMMDD (令和1年 = 2019)."""
    return f"{day.year - 2018:02d}{day.month:02d}{day.day:02d}"


def record(*fields: tuple[int, int, object, str]) -> bytes:
    """``fields``: (start, length, value, "N" or "C"). N: digits, right
    aligned, zero filled; C: CP932 text, left aligned, space filled."""
    out = bytearray(b" " * LENGTH)
    for start, length, value, kind in fields:
        if kind == "N":
            raw = str(value).zfill(length).encode("ascii")
        else:
            raw = str(value).encode("cp932").ljust(length, b" ")
        assert len(raw) == length, (start, value)
        out[start - 1 : start - 1 + length] = raw
    assert len(out) == LENGTH
    return bytes(out)


@dataclass(frozen=True)
class Row:
    day: date
    amount: int
    payer: str
    edi: str = ""
    cancelled: bool = False  # 取消区分 1 (01 only)
    debit: bool = False  # 入払区分 2 (03 only)
    description: str = ""


def file_01(rows: list[Row], *, today: date, newline: bytes = b"") -> bytes:
    """振込入金通知 (種別コード 01), format A."""
    d = wareki(today)
    header = record(
        (1, 1, 1, "N"),
        (2, 2, "01", "N"),
        (4, 1, 0, "N"),
        (5, 6, d, "N"),
        (11, 6, d, "N"),
        (17, 6, d, "N"),
        (23, 4, "0005", "N"),
        (27, 15, "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "C"),
        (42, 3, "001", "N"),
        (45, 15, "ﾎﾝﾃﾝ", "C"),
        (60, 1, 1, "N"),
        (61, 7, "1234567", "N"),
        (68, 40, "ｶ)ﾃｽﾄｼﾖｳｼﾞ", "C"),
    )
    data = [
        record(
            (1, 1, 2, "N"),
            (2, 6, n, "N"),
            (8, 6, wareki(row.day), "N"),
            (14, 6, wareki(row.day), "N"),
            (20, 10, row.amount, "N"),
            (30, 10, 0, "N"),
            (40, 10, 0, "N"),
            (50, 48, row.payer, "C"),
            (98, 15, "ｶｺﾞｼﾏ", "C"),
            (113, 15, "ﾎﾝﾃﾝ", "C"),
            (128, 1, 1 if row.cancelled else 0, "N"),
            (129, 20, row.edi, "C"),
        )
        for n, row in enumerate(rows, start=1)
    ]
    paid = [r for r in rows if not r.cancelled]
    cancelled = [r for r in rows if r.cancelled]
    trailer = record(
        (1, 1, 8, "N"),
        (2, 6, len(paid), "N"),
        (8, 12, sum(r.amount for r in paid), "N"),
        (20, 6, len(cancelled), "N"),
        (26, 12, sum(r.amount for r in cancelled), "N"),
    )
    end = record((1, 1, 9, "N"))
    return b"".join(r + newline for r in [header, *data, trailer, end])


def file_03(rows: list[Row], *, today: date, newline: bytes = b"") -> bytes:
    """入出金取引明細 (種別コード 03)."""
    d = wareki(today)
    header = record(
        (1, 1, 1, "N"),
        (2, 2, "03", "N"),
        (4, 1, 0, "N"),
        (5, 6, d, "N"),
        (11, 6, d, "N"),
        (17, 6, d, "N"),
        (23, 4, "0005", "N"),
        (27, 15, "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "C"),
        (42, 3, "001", "N"),
        (45, 15, "ﾎﾝﾃﾝ", "C"),
        (60, 3, "000", "N"),
        (63, 1, 1, "N"),
        (64, 10, "1234567", "N"),
        (74, 40, "ｶ)ﾃｽﾄｼﾖｳｼﾞ", "C"),
        (114, 1, 1, "N"),
        (115, 1, 1, "N"),
        (116, 14, 1_000_000, "N"),
    )
    data = [
        record(
            (1, 1, 2, "N"),
            (2, 8, n, "N"),
            (10, 6, wareki(row.day), "N"),
            (16, 6, wareki(row.day), "N"),
            (22, 1, 2 if row.debit else 1, "N"),
            (23, 2, 14 if row.debit else 11, "N"),
            (25, 12, row.amount, "N"),
            (37, 12, 0, "N"),
            (49, 6, 0, "N"),
            (55, 6, 0, "N"),
            (61, 1, 0, "N"),
            (62, 7, 0, "N"),
            (69, 3, 0, "N"),
            (72, 10, 0, "N"),
            (82, 48, row.payer, "C"),
            (130, 15, "ｶｺﾞｼﾏ", "C"),
            (145, 15, "ﾎﾝﾃﾝ", "C"),
            (160, 20, row.description, "C"),
            (180, 20, row.edi, "C"),
        )
        for n, row in enumerate(rows, start=1)
    ]
    credits = [r for r in rows if not r.debit]
    debits = [r for r in rows if r.debit]
    trailer = record(
        (1, 1, 8, "N"),
        (2, 6, len(credits), "N"),
        (8, 13, sum(r.amount for r in credits), "N"),
        (21, 6, len(debits), "N"),
        (27, 13, sum(r.amount for r in debits), "N"),
        (40, 1, 1, "N"),
        (41, 14, 2_000_000, "N"),
        (55, 7, len(rows), "N"),
    )
    end = record((1, 1, 9, "N"), (2, 10, len(rows) + 3, "N"), (12, 5, 1, "N"))
    return b"".join(r + newline for r in [header, *data, trailer, end])
