"""Orders from the 財務会計 system by CSV: one row per order line; the rows
with the same 支出負担行為番号 are one order, whose header is read from its
first row. Imported orders are already decided, so they go to the supplier
at once (請書待ち). All or nothing: every problem is listed with its row
and column, and nothing is saved while there is one."""

from collections import OrderedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from invoices.models import TaxCategory
from municipality.models import BudgetCode, Department, Municipality
from partners.models import Connection
from procurement.csv_files import (
    CsvError,
    CsvProblem,
    csv_rows,
    parse_date,
    parse_decimal,
)
from procurement.models import OrderKind, OrderStatus
from procurement.services.orders import OrderLineInput, order_save

# File-format data: the headers are read verbatim.
CSV_HEADERS = (
    "支出負担行為番号",
    "種類",
    "負担行為日",
    "会計年度",
    "部署コード",
    "支払先コード",
    "登録番号",
    "会計区分",
    "科目コード",
    "件名",
    "納入場所",
    "納期",
    "契約期間開始",
    "契約期間終了",
    "上限額",
    "工事",
    "品名",
    "数量",
    "単位",
    "単価",
    "税区分",
)
_KINDS = {
    "単発": OrderKind.ONE_OFF,
    "": OrderKind.ONE_OFF,
    "単価契約": OrderKind.UNIT_PRICE,
}
_TAX = {
    "10%": TaxCategory.STANDARD,
    "S": TaxCategory.STANDARD,
    "8%": TaxCategory.REDUCED,
    "AA": TaxCategory.REDUCED,
    "非課税": TaxCategory.EXEMPT,
    "E": TaxCategory.EXEMPT,
    "不課税": TaxCategory.OUT_OF_SCOPE,
    "O": TaxCategory.OUT_OF_SCOPE,
}
_YES = {"1", "○", "工事"}


def _problem(row, column, message) -> CsvProblem:
    return CsvProblem(row, column, message)


def _connection(municipality, department, values) -> Connection | None:
    connections = Connection.objects.filter(
        municipality=municipality, department=department, is_active=True
    ).select_related("supplier")
    if values["支払先コード"]:
        return connections.filter(payee_code=values["支払先コード"]).first()
    if values["登録番号"]:
        return connections.filter(
            supplier__registration_number=values["登録番号"].upper()
        ).first()
    return None


def _budget_code(municipality, values, fiscal_year) -> BudgetCode | None:
    for code in BudgetCode.objects.filter(
        municipality=municipality,
        fiscal_year=fiscal_year,
        account=values["会計区分"],
        is_active=True,
    ):
        if code.code == values["科目コード"].replace(" ", ""):
            return code
    return None


def _header(number, values, municipality, departments, problems):
    """The order's fields from its first row, or None (problems added)."""
    found = len(problems)
    kind = _KINDS.get(values["種類"])
    if kind is None:
        problems.append(
            _problem(number, "種類", gettext("「単発」か「単価契約」にしてください。"))
        )
    order_date = parse_date(values["負担行為日"])
    if order_date is None:
        problems.append(
            _problem(
                number,
                "負担行為日",
                gettext("日付は 2026-04-01 の形で入れてください。"),
            )
        )
    fiscal_year = int(values["会計年度"]) if values["会計年度"].isdigit() else None
    if fiscal_year is None:
        problems.append(
            _problem(
                number,
                "会計年度",
                gettext("会計年度は西暦4桁で入れてください（例: 2026）。"),
            )
        )
    department = departments.get(values["部署コード"])
    if department is None:
        problems.append(
            _problem(
                number,
                "部署コード",
                gettext(
                    "部署コード「%(code)s」の部署はないか、取り込める部署ではありません。"
                )
                % {"code": values["部署コード"]},
            )
        )
    connection = None
    if department is not None:
        connection = _connection(municipality, department, values)
        if connection is None:
            problems.append(
                _problem(
                    number,
                    "支払先コード",
                    gettext(
                        "支払先コードか登録番号に合う取引先が、この部署に登録されていません。"
                        "取引先を部署に招待してから取り込んでください。"
                    ),
                )
            )
    budget_code = None
    if fiscal_year is not None:
        budget_code = _budget_code(municipality, values, fiscal_year)
        if budget_code is None:
            problems.append(
                _problem(
                    number,
                    "科目コード",
                    gettext(
                        "%(year)s年度の「%(account)s」に科目コード「%(code)s」の有効な"
                        "予算科目がありません。先に予算科目を取り込んでください。"
                    )
                    % {
                        "year": fiscal_year,
                        "account": values["会計区分"],
                        "code": values["科目コード"],
                    },
                )
            )
    dates = {}
    for column, field in (
        ("納期", "delivery_date"),
        ("契約期間開始", "period_start"),
        ("契約期間終了", "period_end"),
    ):
        dates[field] = parse_date(values[column]) if values[column] else None
        if values[column] and dates[field] is None:
            problems.append(
                _problem(
                    number, column, gettext("日付は 2026-04-01 の形で入れてください。")
                )
            )
    ceiling = parse_decimal(values["上限額"]) if values["上限額"] else None
    if values["上限額"] and (ceiling is None or ceiling != ceiling.to_integral_value()):
        problems.append(
            _problem(
                number, "上限額", gettext("上限額は円単位の整数で入れてください。")
            )
        )
    if len(problems) > found:
        return None
    return (
        connection,
        department,
        {
            "kind": kind,
            "number": values["支出負担行為番号"],
            "order_date": order_date,
            "fiscal_year": fiscal_year,
            "budget_code": budget_code,
            "subject": values["件名"],
            "delivery_place": values["納入場所"],
            "ceiling_amount": ceiling,
            "is_works": values["工事"] in _YES,
            **dates,
        },
    )


def _line(number, values, problems) -> OrderLineInput | None:
    found = len(problems)
    quantity = parse_decimal(values["数量"]) if values["数量"] else None
    if values["数量"] and quantity is None:
        problems.append(
            _problem(number, "数量", gettext("数量は数字で入れてください。"))
        )
    unit_price = parse_decimal(values["単価"])
    if unit_price is None:
        problems.append(
            _problem(number, "単価", gettext("単価は数字で入れてください。"))
        )
    tax = _TAX.get(values["税区分"].upper())
    if tax is None:
        problems.append(
            _problem(
                number,
                "税区分",
                gettext("税区分は 10%、8%、非課税、不課税 のどれかにしてください。"),
            )
        )
    if not values["品名"]:
        problems.append(_problem(number, "品名", gettext("品名を入れてください。")))
    if len(problems) > found:
        return None
    return OrderLineInput(
        description=values["品名"],
        quantity=quantity,
        unit=values["単位"],
        unit_price=unit_price,
        tax_category=tax,
    )


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages in error.message_dict.values() for m in messages]
    return error.messages


@transaction.atomic
def orders_import(
    *,
    municipality: Municipality,
    actor: User,
    data: bytes,
    department_ids: frozenset[int] | None,
) -> int:
    """Import the file's orders for the departments of ``department_ids``
    (all of the municipality's for ``None``). Returns how many orders were
    created; raises ``CsvError`` and saves nothing."""
    rows = csv_rows(data=data, headers=CSV_HEADERS)
    departments = {
        d.code: d
        for d in Department.objects.filter(municipality=municipality, is_active=True)
        if department_ids is None or d.pk in department_ids
    }
    groups: OrderedDict[str, list] = OrderedDict()
    problems: list[CsvProblem] = []
    for number, values in rows:
        if not values["支出負担行為番号"]:
            problems.append(
                _problem(
                    number,
                    "支出負担行為番号",
                    gettext("支出負担行為番号を入れてください。"),
                )
            )
            continue
        groups.setdefault(values["支出負担行為番号"], []).append((number, values))
    parsed = []
    for group in groups.values():
        first_number, first = group[0]
        header = _header(first_number, first, municipality, departments, problems)
        lines = [_line(number, values, problems) for number, values in group]
        if header is not None and all(lines):
            parsed.append((first_number, header, lines))
    if problems:
        raise CsvError(problems)
    for first_number, (connection, department, fields), lines in parsed:
        try:
            with transaction.atomic():
                order_save(
                    department=department,
                    actor=actor,
                    connection=connection,
                    fields=fields,
                    lines=lines,
                    status=OrderStatus.ORDERED,
                )
        except ValidationError as error:
            problems += [
                _problem(first_number, "", message) for message in _messages(error)
            ]
    if problems:
        raise CsvError(problems)
    return len(parsed)
