"""The columns of the upload format and the reading of the header row:
which column is which, and what is missing, unknown or twice."""

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
