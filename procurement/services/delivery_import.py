"""Deliveries by CSV, for a supplier's sales system: one row per delivered
line; the rows with the same 納品書番号 are one delivery. The order is named
by the municipality's 6-digit code (全国地方公共団体コード) and its number,
the line by its 行番号 on the order. All or nothing: every problem is
listed with its row and column, and nothing is saved while there is one."""

from collections import OrderedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from partners.models import Supplier
from procurement.csv_files import (
    CsvError,
    CsvProblem,
    csv_rows,
    parse_date,
    parse_decimal,
)
from procurement.models import Order, OrderStatus
from procurement.services.deliveries import DeliveryLineInput, delivery_record

# File-format data: the headers are read verbatim.
CSV_HEADERS = (
    "自治体コード",
    "注文番号",
    "納品書番号",
    "納品日",
    "行番号",
    "数量",
    "備考",
)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for texts in error.message_dict.values() for m in texts]
    return error.messages


def _order(supplier, values) -> Order | None:
    return (
        Order.objects.filter(
            supplier=supplier,
            municipality__local_government_code=values["自治体コード"],
            number=values["注文番号"],
        )
        .exclude(status=OrderStatus.DRAFT)
        .first()
    )


def _group(supplier, number, rows, problems):
    """(order, date, lines, notes) of one delivery, or None."""
    found = len(problems)
    first_row, first = rows[0]
    order = _order(supplier, first)
    if order is None:
        problems.append(
            CsvProblem(
                first_row,
                "注文番号",
                gettext(
                    "自治体コード「%(city)s」の注文番号「%(order)s」の発注が"
                    "見つかりません。"
                )
                % {"city": first["自治体コード"], "order": first["注文番号"]},
            )
        )
    delivered_on = parse_date(first["納品日"])
    if delivered_on is None:
        problems.append(
            CsvProblem(
                first_row, "納品日", gettext("日付は 2026-04-01 の形で入れてください。")
            )
        )
    lines = []
    positions = {}
    if order is not None:
        positions = {line.position: line for line in order.lines.all()}
    for row, values in rows:
        if (values["自治体コード"], values["注文番号"]) != (
            first["自治体コード"],
            first["注文番号"],
        ):
            problems.append(
                CsvProblem(
                    row,
                    "注文番号",
                    gettext("1枚の納品書の行は、同じ発注のものにしてください。"),
                )
            )
            continue
        quantity = parse_decimal(values["数量"])
        if quantity is None:
            problems.append(
                CsvProblem(row, "数量", gettext("数量は数字で入れてください。"))
            )
        position = int(values["行番号"]) if values["行番号"].isdigit() else None
        if order is not None and position not in positions:
            problems.append(
                CsvProblem(
                    row,
                    "行番号",
                    gettext("発注に%(position)s行目の明細がありません。")
                    % {"position": values["行番号"]},
                )
            )
        elif quantity is not None and order is not None:
            lines.append(
                DeliveryLineInput(order_line=positions[position], quantity=quantity)
            )
    if len(problems) > found:
        return None
    return first_row, order, delivered_on, lines, first["備考"]


@transaction.atomic
def deliveries_import(*, supplier: Supplier, actor: User, data: bytes) -> int:
    """Record the file's deliveries; returns how many. Raises ``CsvError``
    and saves nothing."""
    rows = csv_rows(data=data, headers=CSV_HEADERS)
    groups: OrderedDict[str, list] = OrderedDict()
    problems: list[CsvProblem] = []
    for row, values in rows:
        if not values["納品書番号"]:
            problems.append(
                CsvProblem(row, "納品書番号", gettext("納品書番号を入れてください。"))
            )
            continue
        groups.setdefault(values["納品書番号"], []).append((row, values))
    parsed = [
        (number, group)
        for number, rows_ in groups.items()
        if (group := _group(supplier, number, rows_, problems)) is not None
    ]
    if problems:
        raise CsvError(problems)
    for number, (first_row, order, delivered_on, lines, notes) in parsed:
        try:
            with transaction.atomic():
                delivery_record(
                    order=order,
                    supplier=supplier,
                    actor=actor,
                    number=number,
                    delivered_on=delivered_on,
                    lines=lines,
                    notes=notes,
                )
        except ValidationError as error:
            problems += [CsvProblem(first_row, "", m) for m in _messages(error)]
    if problems:
        raise CsvError(problems)
    return len(parsed)
