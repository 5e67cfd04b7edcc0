"""Orders (支出負担行為): a department drafts one, sends it to the supplier,
answers its questions, cancels or completes it; the supplier confirms it
(請書) or asks a question. Every change is an ``OrderEvent``."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.emails import email_send_template
from accounts.models import User
from accounts.notifications import Notification, recipients_wanting
from invoices.tax import invoice_totals, line_amount
from municipality.fiscal import commitment_fiscal_year
from municipality.models import BudgetCode, Department
from municipality.selectors import staff_for_department
from partners.models import Connection, PriceBasis, Supplier
from partners.selectors import supplier_users_for
from procurement.models import (
    Order,
    OrderEventKind,
    OrderKind,
    OrderLine,
    OrderStatus,
)
from procurement.workflow import order_event_add, order_lock, order_transition

ORDER_FIELDS = (
    "kind",
    "number",
    "order_date",
    "fiscal_year",
    "budget_code",
    "subject",
    "delivery_place",
    "delivery_date",
    "period_start",
    "period_end",
    "ceiling_amount",
    "is_works",
    "notes",
)
NUMBER_TAKEN = _("この支出負担行為番号・契約番号はすでに使われています。")


@dataclass(frozen=True)
class OrderLineInput:
    description: str
    quantity: Decimal | None
    unit_price: Decimal
    tax_category: str
    unit: str = ""


def _check_header(order: Order, connection: Connection, department: Department):
    errors = {}
    if connection.department_id != department.pk or not connection.is_active:
        errors["connection"] = gettext(
            "取引先は、発注部署に登録されている有効な取引先から選んでください。"
        )
    year = commitment_fiscal_year(commitment_date=order.order_date)
    if order.fiscal_year != year:
        errors["fiscal_year"] = gettext(
            "負担行為日 %(date)s の会計年度は %(year)s 年度です。"
            "支出負担行為は、その日の属する会計年度でしか行えません。"
        ) % {"date": order.order_date, "year": year}
    code: BudgetCode = order.budget_code
    if code.municipality_id != department.municipality_id or not code.is_active:
        errors["budget_code"] = gettext(
            "予算科目は一覧の有効なものから選んでください。"
        )
    elif code.fiscal_year != order.fiscal_year:
        errors["budget_code"] = gettext(
            "予算科目は %(year)s 年度のものを選んでください"
            "（選んだ科目は %(code_year)s 年度です）。"
        ) % {"year": order.fiscal_year, "code_year": code.fiscal_year}
    if order.kind == OrderKind.UNIT_PRICE:
        if not order.period_start or not order.period_end:
            errors["period_start"] = gettext(
                "単価契約には契約期間の開始日と終了日を入れてください。"
            )
        elif order.period_end < order.period_start:
            errors["period_end"] = gettext(
                "契約期間の終了日は開始日以後にしてください。"
            )
        if not order.ceiling_amount or order.ceiling_amount <= 0:
            errors["ceiling_amount"] = gettext(
                "単価契約には上限額（税込）を入れてください。"
            )
    else:
        order.period_start = order.period_end = order.ceiling_amount = None
    if errors:
        raise ValidationError(errors)


def _lines_write(order: Order, lines: list[OrderLineInput]) -> None:
    if not lines:
        raise ValidationError(gettext("明細を1行以上入れてください。"))
    problems = []
    for position, line in enumerate(lines, start=1):
        if order.kind == OrderKind.ONE_OFF and not line.quantity:
            problems.append(
                gettext("%(row)s行目: 単発の発注には数量を入れてください。")
                % {"row": position}
            )
        if line.quantity is not None and line.quantity <= 0:
            problems.append(
                gettext("%(row)s行目: 数量は0より大きくしてください。")
                % {"row": position}
            )
        if line.unit_price < 0:
            problems.append(
                gettext("%(row)s行目: 単価は0以上にしてください。") % {"row": position}
            )
    if problems:
        raise ValidationError(problems)
    rounding = order.supplier.tax_rounding
    rows = [
        OrderLine(
            order=order,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            tax_category=line.tax_category,
            amount=line_amount(
                quantity=line.quantity, unit_price=line.unit_price, rounding=rounding
            )
            if line.quantity
            else 0,
        )
        for position, line in enumerate(lines, start=1)
    ]
    totals = invoice_totals(
        lines=[(r.tax_category, r.amount) for r in rows],
        price_basis=PriceBasis.EXCLUSIVE,
        rounding=rounding,
    )
    order.lines.all().delete()
    for row in rows:
        row.full_clean(exclude=["order"], validate_constraints=False)
    OrderLine.objects.bulk_create(rows)
    order.subtotal = totals.subtotal
    order.tax_total = totals.tax_total
    order.amount = order.ceiling_amount if order.is_unit_price else totals.total
    order.save(update_fields=["subtotal", "tax_total", "amount", "updated_at"])


@transaction.atomic
def order_save(
    *,
    department: Department,
    actor: User,
    connection: Connection,
    fields: dict,
    lines: list[OrderLineInput],
    order: Order | None = None,
    status: str = OrderStatus.DRAFT,
) -> Order:
    """Create an order (a draft, or with ``status`` ORDERED when the 財務会計
    import brings an order already decided) or change a draft, with its
    lines and totals. Raises ``ValidationError`` and saves nothing."""
    created = order is None
    if created:
        order = Order(created_by=actor, status=status)
    else:
        order = order_lock(order)
        if order.status != OrderStatus.DRAFT:
            raise ValidationError(gettext("発注済みの発注は変更できません。"))
    order.municipality_id = department.municipality_id
    order.department = department
    order.connection = connection
    order.supplier = connection.supplier
    for name in ORDER_FIELDS:
        if name in fields:
            setattr(order, name, fields[name])
    _check_header(order, connection, department)
    order.full_clean(exclude=["created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as error:
        raise ValidationError({"number": NUMBER_TAKEN}) from error
    _lines_write(order, lines)
    if created:
        imported = status == OrderStatus.ORDERED
        order_event_add(
            order=order,
            kind=OrderEventKind.IMPORTED if imported else OrderEventKind.CREATED,
            actor=actor,
            to_status=order.status,
        )
        if imported:
            order.ordered_at = timezone.now()
            order.imported = True
            order.save(update_fields=["ordered_at", "imported"])
            _notify_supplier(order, "ordered")
    return order


def _notify_supplier(order: Order, event: str) -> None:
    email_send_template(
        template=f"order_{event}",
        key=f"order:{order.pk}:{event}:{order.events.count()}",
        to=recipients_wanting(
            supplier_users_for(supplier=order.supplier), Notification.INVOICE_EVENTS
        ),
        context={"order": order},
    )


def _notify_department(order: Order, event: str) -> None:
    email_send_template(
        template=f"order_{event}",
        key=f"order:{order.pk}:{event}:{order.events.count()}",
        to=recipients_wanting(
            staff_for_department(department=order.department),
            Notification.INVOICE_EVENTS,
        ),
        context={"order": order},
    )


@transaction.atomic
def order_send(*, order: Order, actor: User) -> Order:
    """発注: the draft goes to the supplier, who is mailed."""
    order = order_transition(
        order=order, to=OrderStatus.ORDERED, actor=actor, ordered_at=timezone.now()
    )
    _notify_supplier(order, "ordered")
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor: User, reason: str) -> Order:
    """取消 with a stated reason, before the supplier confirmed."""
    if not reason.strip():
        raise ValidationError({"reason": gettext("取消の理由を入力してください。")})
    was_sent = order.status != OrderStatus.DRAFT
    order = order_transition(
        order=order, to=OrderStatus.CANCELLED, actor=actor, message=reason.strip()
    )
    if was_sent:
        _notify_supplier(order, "cancelled")
    return order


def _check_supplier(order: Order, supplier: Supplier) -> None:
    if order.supplier_id != supplier.pk:
        raise ValidationError(gettext("この発注は操作できません。"))


@transaction.atomic
def order_confirm(*, order: Order, supplier: Supplier, actor: User) -> Order:
    """請書: the supplier accepts the order as it stands."""
    _check_supplier(order, supplier)
    order = order_transition(
        order=order,
        to=OrderStatus.CONFIRMED,
        actor=actor,
        confirmed_at=timezone.now(),
        confirmed_by=actor,
    )
    _notify_department(order, "confirmed")
    return order


@transaction.atomic
def order_ask(*, order: Order, supplier: Supplier, actor: User, message: str) -> Order:
    """照会: the supplier asks about the order before confirming it."""
    _check_supplier(order, supplier)
    if not message.strip():
        raise ValidationError({"message": gettext("照会の内容を入力してください。")})
    order = order_transition(
        order=order, to=OrderStatus.QUESTION, actor=actor, message=message.strip()
    )
    _notify_department(order, "question")
    return order


@transaction.atomic
def order_answer(*, order: Order, actor: User, message: str) -> Order:
    """回答: the department answers; the order awaits the 請書 again."""
    if not message.strip():
        raise ValidationError({"message": gettext("回答の内容を入力してください。")})
    order = order_transition(
        order=order,
        to=OrderStatus.ORDERED,
        actor=actor,
        message=message.strip(),
        kind=OrderEventKind.ANSWER,
    )
    _notify_supplier(order, "answered")
    return order


@transaction.atomic
def order_complete(*, order: Order, actor: User) -> Order:
    """完了: nothing more will be delivered against the order."""
    return order_transition(order=order, to=OrderStatus.COMPLETED, actor=actor)
