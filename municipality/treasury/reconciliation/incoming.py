"""全銀協 incoming-payment files (zengin.md §3): 振込入金通知 (種別コード
01, formats A and B) and 入出金取引明細 (種別コード 03). 200-byte records
in CP932 (JIS X 0201), each followed by CR+LF or LF or by nothing, maybe
ended by an EOF mark (0x1A); header (1), data (2), trailer (8) groups, one
end record (9). Dates are 和暦 YYMMDD (令和, or 平成 when 令和 would lie in
the future).

Field positions are byte positions, 1-based as in the layout tables; every
problem names the record and the field."""

import re
from datetime import date

from django.utils.translation import gettext, gettext_lazy as _

from municipality.treasury.reconciliation.credits import (
    BankFileError,
    Credit,
    ParsedFile,
)

RECORD_LENGTH = 200
PAYMENT_FILE_LENGTH = 120  # 総合振込, the payer's file
_KINDS = {"01": "zengin01", "03": "zengin03"}
_KIND_LABELS = {
    "1": _("ヘッダー"),
    "2": _("データ"),
    "8": _("トレーラ"),
    "9": _("エンド"),
}
_DIGITS = re.compile(rb"[0-9]+")
MAX_PROBLEMS = 50


def looks_like_zengin(data: bytes) -> bool:
    """Whether ``data`` starts like a 全銀 file: a header record ``1`` with
    a two-digit 種別コード and コード区分 0 or 1."""
    return bool(re.match(rb"1[0-9]{2}[01][0-9 ]{6}", data))


def _records(data: bytes) -> list[bytes]:
    data = data.rstrip(b"\x1a")
    if b"\n" in data or b"\r" in data:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        records = []
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if b"\r" in line:
                raise BankFileError(
                    [
                        gettext(
                            "改行がCRだけのファイルは読めません。"
                            "金融機関からダウンロードしたままのファイルを選んでください。"
                        )
                    ]
                )
            records.append(line)
        return records
    if len(data) % RECORD_LENGTH:
        if len(data) % PAYMENT_FILE_LENGTH == 0 and data[1:3] == b"21":
            raise BankFileError([_payment_file()])
        raise BankFileError(
            [
                gettext(
                    "ファイルの長さ（%(size)sバイト）が200バイトの倍数ではありません。"
                    "全銀協形式の振込入金通知または入出金取引明細"
                    "（1レコード200バイト）を選んでください。"
                )
                % {"size": f"{len(data):,}"}
            ]
        )
    return [data[i : i + RECORD_LENGTH] for i in range(0, len(data), RECORD_LENGTH)]


def _payment_file() -> str:
    return gettext(
        "これは総合振込（支払側、1レコード120バイト）のファイルです。"
        "入金の消込には、受取側の振込入金通知（種別01）または入出金取引明細"
        "（種別03）を金融機関からダウンロードして選んでください。"
    )


class _Record:
    """One record, its fields read by 1-based byte positions."""

    def __init__(self, number: int, raw: bytes, problems: list[str]):
        self.number = number
        self.raw = raw
        self.problems = problems

    @property
    def kind(self) -> str:
        return chr(self.raw[0]) if self.raw else ""

    def where(self) -> str:
        label = _KIND_LABELS.get(self.kind)
        if label is None:
            return gettext("%(n)s番目のレコード") % {"n": self.number}
        return gettext("%(n)s番目のレコード（%(kind)s）") % {
            "n": self.number,
            "kind": label,
        }

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where()}: {message}")

    def text(self, start: int, end: int, field: str) -> str:
        try:
            return self.raw[start - 1 : end].decode("cp932").strip()
        except UnicodeDecodeError:
            self.problem(
                gettext(
                    "%(field)s（%(start)s〜%(end)sバイト目）を文字として読めません。"
                    "文字コードがShift_JIS（CP932）のファイルを選んでください。"
                )
                % {"field": field, "start": start, "end": end}
            )
            return ""

    def number_field(
        self, start: int, end: int, field: str, *, blank_ok: bool = False
    ) -> int | None:
        raw = self.raw[start - 1 : end]
        if blank_ok and not raw.strip():
            return 0
        if not _DIGITS.fullmatch(raw):
            self.problem(
                gettext(
                    "%(field)s（%(start)s〜%(end)sバイト目）が数字ではありません"
                    "（「%(value)s」）。"
                )
                % {
                    "field": field,
                    "start": start,
                    "end": end,
                    "value": raw.decode("cp932", errors="replace"),
                }
            )
            return None
        return int(raw)

    def date_field(self, start: int, field: str, *, today: date) -> date | None:
        raw = self.raw[start - 1 : start + 5]
        value = None
        if re.fullmatch(rb"[0-9]{6}", raw):
            yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:6])
            # 令和 (2019-) first; a future date is 平成 (zengin.md §3.3).
            for base in (2018, 1988):
                try:
                    candidate = date(base + yy, mm, dd)
                except ValueError:
                    break
                if candidate <= today or base == 1988:
                    value = candidate
                    break
        if value is None:
            self.problem(
                gettext(
                    "%(field)s「%(value)s」（%(start)s〜%(end)sバイト目）は"
                    "和暦の年月日（YYMMDD）として読めません。"
                )
                % {
                    "field": field,
                    "value": raw.decode("cp932", errors="replace"),
                    "start": start,
                    "end": start + 5,
                }
            )
        return value


def parse_incoming(data: bytes, *, today: date) -> ParsedFile:
    """The credits of a 種別01 or 種別03 file. Raises ``BankFileError``
    listing every problem (up to ``MAX_PROBLEMS``) when any record cannot
    be read, the structure is broken or a trailer's totals disagree."""
    problems: list[str] = []
    records = [
        _Record(n, raw, problems) for n, raw in enumerate(_records(data), start=1)
    ]
    if not records:
        raise BankFileError([gettext("ファイルが空です。")])
    for record in records:
        if len(record.raw) != RECORD_LENGTH:
            if (
                len(record.raw) == PAYMENT_FILE_LENGTH
                and record.number == 1
                and record.raw[1:3] == b"21"
            ):
                raise BankFileError([_payment_file()])
            record.problem(
                gettext(
                    "長さが%(length)sバイトです。全銀協形式の入金データは"
                    "1レコード200バイトです（文字コードがShift_JISでないか、"
                    "行が途中で切れている可能性があります）。"
                )
                % {"length": len(record.raw)}
            )
    if problems:
        raise BankFileError(problems[:MAX_PROBLEMS])

    kind = _kind(records[0])
    credits: list[Credit] = []
    skipped = 0
    state = "start"
    group: list[_Record] = []
    for record in records:
        if state == "end":
            record.problem(gettext("エンドレコード（9）の後にレコードがあります。"))
            break
        if record.kind == "1":
            if state == "group":
                record.problem(
                    gettext(
                        "前のヘッダーにトレーラ（8）がないまま、"
                        "次のヘッダー（1）が始まっています。"
                    )
                )
            _header(record, kind)
            state, group = "group", []
        elif record.kind == "2":
            if state != "group":
                record.problem(gettext("ヘッダー（1）の前にデータがあります。"))
            group.append(record)
        elif record.kind == "8":
            if state != "group":
                record.problem(gettext("ヘッダー（1）のないトレーラがあります。"))
            group_credits, group_skipped = _group(kind, group, record, today)
            credits.extend(group_credits)
            skipped += group_skipped
            state = "trailer"
        elif record.kind == "9":
            if state != "trailer":
                record.problem(
                    gettext("エンドレコード（9）の前にトレーラ（8）がありません。")
                )
            state = "end"
        else:
            record.problem(
                gettext("データ区分「%(kind)s」は 1・2・8・9 のいずれでもありません。")
                % {"kind": record.raw[:1].decode("cp932", errors="replace")}
            )
    if state != "end" and not problems:
        problems.append(
            gettext(
                "最後のエンドレコード（9）がありません。"
                "ファイルが途中で切れていないか確認してください。"
            )
        )
    if problems:
        raise BankFileError(problems[:MAX_PROBLEMS])
    return ParsedFile(source=_KINDS[kind], credits=credits, skipped=skipped)


def _kind(first: _Record) -> str:
    if first.kind != "1":
        raise BankFileError(
            [
                gettext(
                    "1番目のレコードがヘッダー（データ区分 1）ではありません。"
                    "全銀協形式の振込入金通知または入出金取引明細を選んでください。"
                )
            ]
        )
    kind = first.raw[1:3].decode("cp932", errors="replace")
    if kind == "21":
        raise BankFileError([_payment_file()])
    if kind not in _KINDS:
        raise BankFileError(
            [
                gettext(
                    "種別コード「%(kind)s」のファイルには対応していません。"
                    "振込入金通知（01）または入出金取引明細（03）を選んでください。"
                )
                % {"kind": kind}
            ]
        )
    return kind


def _header(record: _Record, kind: str) -> None:
    if record.raw[1:3] != kind.encode():
        record.problem(
            gettext(
                "種別コードが最初のヘッダーと違います（%(kind)s）。"
                "1つのファイルには1種類の明細だけを入れてください。"
            )
            % {"kind": record.raw[1:3].decode("cp932", errors="replace")}
        )
    if record.raw[3:4] == b"1":
        record.problem(
            gettext(
                "コード区分が1（EBCDIC）です。JIS（コード区分0）の"
                "ファイルを金融機関からダウンロードしてください。"
            )
        )


def _group(
    kind: str, data: list[_Record], trailer: _Record, today: date
) -> tuple[list[Credit], int]:
    if kind == "01":
        return _group_01(data, trailer, today)
    return _group_03(data, trailer, today)


def _totals_problem(
    trailer: _Record, what: str, count: int, total: int, expected: tuple
) -> None:
    if expected != (count, total):
        trailer.problem(
            gettext(
                "%(what)sの合計（%(count)s件・%(total)s円）が、データレコードの"
                "合計（%(data_count)s件・%(data_total)s円）と合いません。"
                "ファイルが途中で切れていないか確認してください。"
            )
            % {
                "what": what,
                "count": f"{expected[0]:,}" if expected[0] is not None else "?",
                "total": f"{expected[1]:,}" if expected[1] is not None else "?",
                "data_count": f"{count:,}",
                "data_total": f"{total:,}",
            }
        )


def _group_01(
    data: list[_Record], trailer: _Record, today: date
) -> tuple[list[Credit], int]:
    """振込入金通知: format A (金額 20-29, EDI 129-148) or B (金額 129-140,
    EDI 153-172), B recognised by its non-blank 149-172."""
    before = len(trailer.problems)
    credits, cancelled = [], []
    for record in data:
        booking = record.date_field(8, gettext("勘定日"), today=today)
        if record.raw[148:172].strip():  # format B
            amount = record.number_field(129, 140, gettext("金額"))
            if amount == 0:
                amount = record.number_field(20, 29, gettext("金額"))
            edi = record.text(153, 172, gettext("EDI情報"))
        else:
            amount = record.number_field(20, 29, gettext("金額"))
            edi = record.text(129, 148, gettext("EDI情報"))
        payer = record.text(50, 97, gettext("振込依頼人名"))
        reference = record.text(2, 7, gettext("照会番号"))
        if booking is None or amount is None:
            continue
        if record.raw[127:128] == b"1":  # 取消区分: cancels an earlier notice
            cancelled.append(amount)
            continue
        credits.append(
            Credit(
                row=record.number,
                booking_date=booking,
                amount=amount,
                payer_name=payer,
                edi=edi,
                reference=reference,
            )
        )
    if len(trailer.problems) > before:  # totals would only repeat them
        return credits, len(cancelled)
    _totals_problem(
        trailer,
        gettext("トレーラの振込"),
        len(credits),
        sum(c.amount for c in credits),
        (
            trailer.number_field(2, 7, gettext("振込合計件数")),
            trailer.number_field(8, 19, gettext("振込合計金額")),
        ),
    )
    _totals_problem(
        trailer,
        gettext("トレーラの取消"),
        len(cancelled),
        sum(cancelled),
        (
            trailer.number_field(20, 25, gettext("取消合計件数"), blank_ok=True),
            trailer.number_field(26, 37, gettext("取消合計金額"), blank_ok=True),
        ),
    )
    return credits, len(cancelled)


def _group_03(
    data: list[_Record], trailer: _Record, today: date
) -> tuple[list[Credit], int]:
    """入出金取引明細: the credits (入払区分 1); payments out are counted
    for the trailer check and skipped."""
    before = len(trailer.problems)
    credits, debits = [], []
    for record in data:
        booking = record.date_field(10, gettext("勘定日"), today=today)
        direction = record.raw[21:22]
        amount = record.number_field(25, 36, gettext("取引金額"))
        payer = record.text(82, 129, gettext("振込依頼人名"))
        description = record.text(160, 179, gettext("摘要内容"))
        edi = record.text(180, 199, gettext("EDI情報"))
        reference = record.text(2, 9, gettext("照会番号"))
        if direction not in (b"1", b"2"):
            record.problem(
                gettext("入払区分「%(value)s」は 1（入金）・2（出金）ではありません。")
                % {"value": direction.decode("cp932", errors="replace")}
            )
            continue
        if booking is None or amount is None:
            continue
        if direction == b"2":
            debits.append(amount)
            continue
        credits.append(
            Credit(
                row=record.number,
                booking_date=booking,
                amount=amount,
                payer_name=payer,
                edi=edi,
                description=description,
                reference=reference,
            )
        )
    if len(trailer.problems) > before:
        return credits, len(debits)
    _totals_problem(
        trailer,
        gettext("トレーラの入金"),
        len(credits),
        sum(c.amount for c in credits),
        (
            trailer.number_field(2, 7, gettext("入金件数")),
            trailer.number_field(8, 20, gettext("入金額合計")),
        ),
    )
    _totals_problem(
        trailer,
        gettext("トレーラの出金"),
        len(debits),
        sum(debits),
        (
            trailer.number_field(21, 26, gettext("出金件数")),
            trailer.number_field(27, 39, gettext("出金額合計")),
        ),
    )
    return credits, len(debits)
