"""The columns of the upload format and the reading of the header row:
which column is which, and what is missing, unknown or twice."""

from django.utils.translation import gettext, pgettext

from invoices.csv_import.decoding import _SAVE_AS_CSV
from invoices.csv_import.results import RowError
from invoices.fields import nfkc

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
    "注文番号",
    "品名",
    "数量",
    "単位",
    "単価",
    "税区分",
    "備考",
    "明細備考",
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
    _ORDER_NUMBER,
    _DESCRIPTION,
    _QUANTITY,
    _UNIT,
    _UNIT_PRICE,
    _TAX,
    _NOTES,
    _LINE_NOTE,
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
# The invoice's own columns: the same on every row of one invoice (明細備考
# is the line's own, and may differ between them).
_HEADER_LEVEL = (
    _MUNICIPALITY,
    _DEPARTMENT,
    _ISSUE_DATE,
    _DAY,
    _START,
    _END,
    _DUE,
    _SUBJECT,
    _ORDER_NUMBER,
    _NOTES,
)
_DATE_COLUMNS = (_ISSUE_DATE, _DAY, _START, _END, _DUE)


def _header_columns(
    rows: list[list[str]],
) -> tuple[dict[int, str], list[RowError]]:
    """The columns by index, and what is wrong with the header."""
    raw_header = rows[0]
    header = [nfkc(cell) for cell in raw_header]
    allowed = pgettext("list separator", "、").join(COLUMNS)
    if len(header) == 1 and "\t" in raw_header[0]:
        return {}, [
            RowError(
                1,
                "",
                raw_header[0],
                gettext("タブ区切りのファイルです。%(save_as)s")
                % {"save_as": _SAVE_AS_CSV},
            )
        ]
    if not set(header) & set(COLUMNS):
        return {}, [
            RowError(
                1,
                "",
                ",".join(raw_header)[:100],
                gettext(
                    "1行目が見出しになっていません。1行目には列名（%(allowed)s）を"
                    "入れてください。"
                )
                % {"allowed": allowed},
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
                        gettext("%(number)s列目") % {"number": index + 1},
                        "",
                        gettext(
                            "%(number)s列目に見出しがないのに値が入っています。"
                            "見出しを付けるか、この列を削除してください。"
                            "使える列: %(allowed)s"
                        )
                        % {"number": index + 1, "allowed": allowed},
                    )
                )
        elif name not in COLUMNS:
            errors.append(
                RowError(
                    1,
                    raw,
                    raw,
                    gettext("「%(column)s」という列は使えません。使える列: %(allowed)s")
                    % {"column": raw, "allowed": allowed},
                )
            )
        elif name in columns.values():
            errors.append(
                RowError(
                    1,
                    name,
                    raw,
                    gettext("「%(column)s」の列が2つあります。1つにしてください。")
                    % {"column": name},
                )
            )
        else:
            columns[index] = name
    present = set(columns.values())
    for name in _REQUIRED_COLUMNS:
        if name not in present:
            errors.append(
                RowError(
                    1,
                    name,
                    "",
                    gettext("「%(column)s」の列がありません。追加してください。")
                    % {"column": name},
                )
            )
    if _DAY not in present and _START not in present:
        errors.append(
            RowError(
                1,
                _DAY,
                "",
                gettext(
                    "「%(day)s」の列がありません。取引が期間の場合は「%(start)s」と"
                    "「%(end)s」の列を入れてください。"
                )
                % {"day": _DAY, "start": _START, "end": _END},
            )
        )
    for have, need in ((_START, _END), (_END, _START)):
        if have in present and need not in present:
            errors.append(
                RowError(
                    1,
                    need,
                    "",
                    gettext(
                        "「%(have)s」の列があるのに「%(need)s」の列がありません。"
                        "取引期間は両方の列で指定してください。"
                    )
                    % {"have": have, "need": need},
                )
            )
    return columns, errors
