"""Rows to invoices: the rows of one 請求書番号 grouped into one invoice,
its addressee looked up among the supplier's connections, its number
checked against those already used, its totals computed as screen entry
computes them; and ``csv_parse``, which runs the whole reading."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, pgettext

from invoices.csv_import.cells import _Row, _row_read
from invoices.csv_import.decoding import _decode, _FileError, _read_rows
from invoices.csv_import.header import (
    _DEPARTMENT,
    _DESCRIPTION,
    _DUE,
    _HEADER_LEVEL,
    _ISSUE_DATE,
    _LINE_NOTE,
    _MUNICIPALITY,
    _NOTES,
    _NUMBER,
    _ORDER_NUMBER,
    _QUANTITY,
    _SUBJECT,
    _TAX,
    _UNIT,
    _UNIT_PRICE,
    COLUMNS,
    _header_columns,
)
from invoices.csv_import.results import ParsedInvoice, ParseResult, RowError
from invoices.models import Invoice, TaxCategory
from invoices.services.drafts import LineInput
from invoices.tax import (
    AMOUNT_MAX,
    amount_limit_problems,
    amount_over_limit,
    invoice_totals,
    line_amount,
    negative_total_problems,
)
from municipality.models import Department, Municipality
from partners.models import Connection, Supplier

PROGRESS_EVERY = 200  # lines between two progress reports
_IN_CHUNK = 2000  # numbers per ``IN`` query (SQLite limits its parameters)


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
        if column not in row.raw or row.raw[column] == first.raw[column]:
            continue  # the same text reads as the same value
        if not (first.good(column) and row.good(column)):
            continue
        if row.values[column] != first.values[column]:
            row.error(
                column,
                gettext(
                    "同じ請求書（請求書番号 %(number)s）の%(row)s行目の"
                    "「%(value)s」と違います。請求書番号が同じ行には、"
                    "%(column)sも同じ値を入れてください。"
                )
                % {
                    "number": group.number,
                    "row": first.number,
                    "value": first.raw[column],
                    "column": column,
                },
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


def _zero_padded(addressees: _Addressees, municipality_id: int, code: str) -> list:
    """The municipality's department codes that ``code`` is, once the
    leading zeros Excel drops from a number are put back (``50`` → ``050``
    where its codes are three digits wide)."""
    if not code.isdigit():
        return []
    return sorted(
        known
        for (m, known) in addressees.departments
        if m == municipality_id
        and known.isdigit()
        and len(known) > len(code)
        and known == code.zfill(len(known))
    )


def _department_of(group: _Group, addressees: _Addressees, municipality: tuple):
    """(department id, name, active) of the group's department code, or
    ``None`` after recording why there is none. A code that lost its
    leading zeros in Excel is read as the one department it matches, with
    a notice on every row."""
    first = group.first
    municipality_id, municipality_name = municipality
    code = first.values[_DEPARTMENT]
    department = addressees.departments.get((municipality_id, code))
    if department is not None:
        return department
    padded = _zero_padded(addressees, municipality_id, code)
    if len(padded) == 1:
        (full,) = padded
        for row in group.rows:
            row.notice(
                _DEPARTMENT,
                gettext(
                    "部署コード %(code)s を %(full)s として読み取りました"
                    "（Excelで先頭の0が消えたものとみなしました）。"
                )
                % {"code": code, "full": full},
            )
        return addressees.departments[(municipality_id, full)]
    hint = ""
    if padded:
        hint = gettext(
            "%(codes)s のどれかのことなら、Excelで先頭の0が消えています。"
            "セルの書式を文字列にして保存し直してください。"
        ) % {
            "codes": pgettext("list separator", "、").join(
                f"「{known}」" for known in padded
            )
        }
    first.error(
        _DEPARTMENT,
        gettext(
            "%(municipality)sに部署コード「%(code)s」の部署はありません。"
            "自治体から知らされた部署コードを確認してください。%(hint)s"
        )
        % {"municipality": municipality_name, "code": code, "hint": hint},
    )
    return None


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
            gettext(
                "全国地方公共団体コード %(code)s の自治体は、このポータルに登録されて"
                "いません。宛先の自治体のコードを確認してください。"
            )
            % {"code": code},
        )
        return None
    municipality_name = addressees.municipalities[code][1]
    department = _department_of(group, addressees, addressees.municipalities[code])
    if department is None:
        return None
    department_id, department_name, department_active = department
    addressee = f"{municipality_name} {department_name}"
    connection = addressees.connections.get(department_id)
    if connection is None:
        first.error(
            _DEPARTMENT,
            gettext(
                "%(addressee)s とはまだ取引の登録がありません。"
                "自治体からの招待を承諾してから取り込んでください。"
            )
            % {"addressee": addressee},
        )
        return None
    connection_id, connection_active = connection
    if not (connection_active and department_active):
        first.error(
            _DEPARTMENT,
            gettext(
                "%(addressee)s には現在請求書を送れません（取引の登録が無効です）。"
                "自治体に確認してください。"
            )
            % {"addressee": addressee},
        )
        return None
    return connection_id, municipality_name, department_name


def _invoice_of(
    group: _Group, addressee: tuple, supplier: Supplier, labels: dict[str, str]
) -> ParsedInvoice | None:
    """The invoice with its totals, computed as screen entry computes them;
    ``labels`` are the tax categories' labels."""
    first = group.first
    lines = tuple(
        LineInput(
            description=row.values[_DESCRIPTION],
            quantity=row.values[_QUANTITY],
            unit_price=row.values[_UNIT_PRICE],
            tax_category=row.values[_TAX],
            unit=row.values.get(_UNIT, ""),
            note=row.values.get(_LINE_NOTE, ""),
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
        if abs(amount) > AMOUNT_MAX
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
    problems = (
        []
        if over
        else amount_limit_problems(amounts=(), totals=totals)
        or negative_total_problems(totals)
    )
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
            "order_number": first.values.get(_ORDER_NUMBER, ""),
            "notes": first.values.get(_NOTES, ""),
            "price_basis": price_basis,
        },
        lines=lines,
        rows=tuple(row.number for row in group.rows),
        subtotal=totals.subtotal,
        tax_total=totals.tax_total,
        total=totals.total,
        buckets=tuple(
            (labels[b.category], b.taxable_amount, b.tax_amount) for b in totals.buckets
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
    readings: dict = {}  # see _row_read
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
                gettext(
                    "セルが%(cells)s個あり、見出し（%(width)s列）より多くなっています。"
                    '値に「,」が含まれる場合は、セルを「"」で囲んでください。'
                )
                % {"cells": len(cells), "width": width},
            )
            loose.append(row)
            continue
        _row_read(row, present, readings)
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
                    gettext(
                        "請求書番号 %(number)s は%(row)s行目からの請求書と"
                        "同じ番号です。同じ請求書の明細は続けて並べてください。"
                        "別の請求書なら別の番号にしてください。"
                    )
                    % {"number": key, "row": group.first.number},
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
                    gettext(
                        "明細の行がありません。2行目から1行に明細を1つずつ入れてください。"
                    ),
                ),
            ),
        )
    addressees = _addressees_load(supplier, groups)
    taken = _numbers_taken(supplier, [g.number for g in groups])
    labels = {category.value: str(category.label) for category in TaxCategory}
    invoices = []
    for group in groups:
        if group.number in taken:
            day = taken[group.number]
            group.first.error(
                _NUMBER,
                gettext(
                    "請求書番号 %(number)s はすでに登録されています（%(date)s）。"
                    "同じファイルを二度取り込んでいないか確認してください。"
                )
                % {
                    "number": group.number,
                    "date": date_format(day, pgettext("date format", "Y年n月j日")),
                },
            )
        addressee = _connection_of(group, addressees)
        if addressee is not None and not group.has_errors:
            invoice = _invoice_of(group, addressee, supplier, labels)
            if invoice is not None:
                invoices.append(invoice)
    if progress:
        progress(line_count, line_count)
    errors = [e for row in loose for e in row.errors]
    errors += [e for group in groups for row in group.rows for e in row.errors]
    notices = [n for group in groups for row in group.rows for n in row.notices]
    return ParseResult(
        encoding,
        line_count,
        tuple(invoices),
        _errors_sorted(errors),
        _errors_sorted(notices),
    )
