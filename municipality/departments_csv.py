"""The department list as CSV (部署一覧): export for a spreadsheet, and
import of the edited file, all or nothing.

Columns: 部署コード, 部署名, 上位部署コード, 有効 (1/0 or 有効/無効). A row
with a new code adds a department; a known code renames, re-parents,
deactivates or reactivates it; departments missing from the file stay as
they are. Files are read like the invoice CSV: a UTF-8 BOM means UTF-8,
else strict UTF-8, else CP932. Every problem is listed with its row and
column, and nothing is saved until there is none.
"""

import csv
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from accounts.spreadsheets import csv_cell
from municipality.departments import department_record, department_values
from municipality.models import Department, Municipality, SettingsAction

# File-format data: the headers are read verbatim, so they are not marked.
HEADERS = ("部署コード", "部署名", "上位部署コード", "有効")
CODE, NAME, PARENT, ACTIVE = HEADERS
_TRUE = {"1", "有効", "TRUE", "true", "○"}
_FALSE = {"0", "無効", "FALSE", "false", "×"}
_BOM = b"\xef\xbb\xbf"
_MAX_ROWS = 5000


def department_csv_export(*, municipality: Municipality) -> bytes:
    """Every department of the municipality, UTF-8 with BOM (Excel opens
    it as such), each cell through ``csv_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in HEADERS])
    for department in (
        Department.objects.filter(municipality=municipality)
        .select_related("parent")
        .order_by("code")
    ):
        writer.writerow(
            [
                csv_cell(department.code),
                csv_cell(department.name),
                csv_cell(department.parent.code if department.parent_id else ""),
                "1" if department.is_active else "0",
            ]
        )
    return _BOM + out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class CsvProblem:
    row: int | None  # as Excel numbers it: the header is row 1
    column: str
    message: str


class DepartmentCsvError(Exception):
    def __init__(self, problems: list[CsvProblem]):
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    changed: int
    unchanged: int


@dataclass
class _Row:
    number: int
    code: str
    name: str
    parent: str
    active: bool | None  # None: keep (empty cell)


def _decode(data: bytes) -> str:
    if data.startswith(_BOM):
        return data[len(_BOM) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _file_problem(message: str) -> DepartmentCsvError:
    return DepartmentCsvError([CsvProblem(None, "", message)])


def _read(data: bytes) -> tuple[list[_Row], list[CsvProblem]]:
    if not data.removeprefix(_BOM).strip():
        raise _file_problem(
            gettext(
                "ファイルが空です。1行目に見出し、2行目から部署を入れたCSVファイルを"
                "選んでください。"
            )
        )
    try:
        text = _decode(data)
        table = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error):
        raise _file_problem(
            gettext(
                "CSVファイルとして読めません。Excelで「CSV UTF-8（コンマ区切り）」"
                "または「CSV（コンマ区切り）」として保存し直してください。"
            )
        ) from None
    header = [_text(cell) for cell in table[0]]
    missing = [h for h in (CODE, NAME) if h not in header]
    if missing:
        raise _file_problem(
            gettext(
                "1行目の見出しに「%(columns)s」がありません。"
                "部署一覧のCSVを書き出して、その形式で作ってください。"
            )
            % {"columns": "」「".join(missing)}
        )
    if len(table) - 1 > _MAX_ROWS:
        raise _file_problem(
            gettext("部署は1回に%(max)d行まで取り込めます。") % {"max": _MAX_ROWS}
        )
    index = {h: header.index(h) for h in HEADERS if h in header}
    rows, problems = [], []
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(column, cells=cells):
            i = index.get(column)
            value = cells[i].strip() if i is not None and i < len(cells) else ""
            # Codes as the system compares them; names as typed.
            return value if column == NAME else _text(value)

        active_text = cell(ACTIVE)
        active = None
        if active_text in _TRUE:
            active = True
        elif active_text in _FALSE:
            active = False
        elif active_text:
            problems.append(
                CsvProblem(
                    number,
                    ACTIVE,
                    gettext(
                        "%(row)d行目: 有効の欄の「%(value)s」は使えません。"
                        "1（有効）か0（無効）にしてください。"
                    )
                    % {"row": number, "value": active_text},
                )
            )
        rows.append(_Row(number, cell(CODE), cell(NAME), cell(PARENT), active))
    if not rows:
        raise _file_problem(gettext("部署の行がありません。2行目から入れてください。"))
    return rows, problems


def _required(row: _Row, column: str, value: str, max_length: int) -> list:
    if not value:
        return [
            CsvProblem(
                row.number,
                column,
                gettext("%(row)d行目: %(field)sを入力してください。")
                % {"row": row.number, "field": column},
            )
        ]
    if len(value) > max_length:
        return [
            CsvProblem(
                row.number,
                column,
                gettext("%(row)d行目: %(field)sは%(max)d文字以内にしてください。")
                % {"row": row.number, "field": column, "max": max_length},
            )
        ]
    return []


def _check(
    rows: list[_Row],
    existing: dict[str, Department],
    open_invoices: Mapping[int, int],
) -> list[CsvProblem]:
    problems = []
    seen: dict[str, int] = {}
    for row in rows:
        problems += _required(row, CODE, row.code, 20)
        problems += _required(row, NAME, row.name, 100)
        if row.code in seen:
            problems.append(
                CsvProblem(
                    row.number,
                    CODE,
                    gettext(
                        "%(row)d行目: 部署コード「%(code)s」は%(first)d行目と"
                        "重複しています。1つの部署は1行にしてください。"
                    )
                    % {"row": row.number, "code": row.code, "first": seen[row.code]},
                )
            )
        elif row.code:
            seen[row.code] = row.number
    known = set(existing) | set(seen)
    parents = {
        code: (d.parent.code if d.parent_id else "") for code, d in existing.items()
    }
    for row in rows:
        if row.parent and row.parent not in known:
            problems.append(
                CsvProblem(
                    row.number,
                    PARENT,
                    gettext(
                        "%(row)d行目: 上位部署コード「%(code)s」の部署がありません。"
                        "登録済みの部署か、このファイルにある部署のコードにしてください。"
                    )
                    % {"row": row.number, "code": row.parent},
                )
            )
        parents[row.code] = row.parent
    for row in rows:
        code, steps = row.parent, 0
        while code and steps <= len(parents):
            if code == row.code:
                problems.append(
                    CsvProblem(
                        row.number,
                        PARENT,
                        gettext(
                            "%(row)d行目: 上位部署をたどると部署「%(code)s」自身に"
                            "戻ります。別の上位部署にしてください。"
                        )
                        % {"row": row.number, "code": row.code},
                    )
                )
                break
            code, steps = parents.get(code, ""), steps + 1
    for row in rows:
        department = existing.get(row.code)
        if (
            row.active is False
            and department is not None
            and department.is_active
            and open_invoices.get(department.pk)
        ):
            problems.append(
                CsvProblem(
                    row.number,
                    ACTIVE,
                    gettext(
                        "%(row)d行目: 部署「%(name)s」には未処理の請求書が"
                        "%(count)d件あります。CSVでは無効にできません。"
                        "部署の画面から、確認のうえ無効にしてください。"
                    )
                    % {
                        "row": row.number,
                        "name": department.name,
                        "count": open_invoices[department.pk],
                    },
                )
            )
    return problems


@transaction.atomic
def department_csv_import(
    *,
    municipality: Municipality,
    data: bytes,
    open_invoices: Mapping[int, int],
    actor: User,
) -> ImportResult:
    """Apply the department CSV ``data`` to the municipality, recording
    each department added or changed. ``open_invoices`` maps department
    ids to their number of open invoices: those cannot be deactivated here.

    Raises ``DepartmentCsvError`` with every problem; then nothing is saved.
    """
    # Serialises imports and edits of the same municipality's tree.
    Municipality.objects.select_for_update().get(pk=municipality.pk)
    rows, problems = _read(data)
    existing = {
        d.code: d
        for d in Department.objects.select_for_update(of=("self",))
        .select_related("parent")
        .filter(municipality=municipality)
    }
    problems = sorted(
        problems + _check(rows, existing, open_invoices),
        key=lambda p: (p.row or 0, HEADERS.index(p.column) if p.column else -1),
    )
    if problems:
        raise DepartmentCsvError(problems)
    created = changed = 0
    before = {code: department_values(d) for code, d in existing.items()}
    for row in rows:
        if row.code not in existing:
            existing[row.code] = Department.objects.create(
                municipality=municipality,
                code=row.code,
                name=row.name,
                is_active=row.active is not False,
            )
    for row in rows:
        department = existing[row.code]
        department.name = row.name
        department.parent = existing[row.parent] if row.parent else None
        if row.active is not None:
            department.is_active = row.active
        department.save(update_fields=["name", "parent", "is_active", "updated_at"])
        values = department_values(department)
        if row.code not in before:
            created += 1
            department_record(
                department=department,
                action=SettingsAction.CREATED,
                before={},
                actor=actor,
            )
        elif values != before[row.code]:
            changed += 1
            department_record(
                department=department,
                action=SettingsAction.CHANGED,
                before=before[row.code],
                actor=actor,
            )
    return ImportResult(created, changed, len(rows) - created - changed)
