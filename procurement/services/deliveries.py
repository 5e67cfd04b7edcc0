"""Deliveries (納品) and their inspection (検収).

Recording a delivery is the notice of completion: the inspection deadline
(支払遅延防止法5条: 10 days, 14 for works) runs from its date. A rejected
delivery stays on record; the supplier records the corrected delivery as
a new one, and its deadline runs from then (5条2項)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.emails import email_send_template
from accounts.models import User
from accounts.notifications import Notification, recipients_wanting
from invoices.tax import invoice_totals, line_amount
from municipality.selectors import staff_for_department
from partners.models import PriceBasis, Supplier, SupplierMembership
from partners.selectors import supplier_users_for
from procurement.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from procurement.workflow import delivery_transition, order_lock

NUMBER_TAKEN = _("この納品書番号はすでに使われています。別の番号にしてください。")


@dataclass(frozen=True)
class DeliveryLineInput:
    order_line: OrderLine
    quantity: Decimal


def _delivered_so_far(order_line: OrderLine) -> Decimal:
    """What counts against the order: pending deliveries as delivered,
    inspected ones as accepted; rejected ones not at all."""
    rows = DeliveryLine.objects.filter(order_line=order_line)
    pending = rows.filter(delivery__status=DeliveryStatus.PENDING).aggregate(
        n=Sum("quantity")
    )["n"]
    accepted = rows.filter(delivery__status=DeliveryStatus.ACCEPTED).aggregate(
        n=Sum("accepted_quantity")
    )["n"]
    return (pending or 0) + (accepted or 0)


def _check_quantities(order: Order, lines: list[DeliveryLineInput]) -> None:
    problems = []
    if not lines:
        raise ValidationError(gettext("納品した数量を1行以上入れてください。"))
    for line in lines:
        if line.order_line.order_id != order.pk:
            raise ValidationError(gettext("明細を選び直してください。"))
        if line.quantity <= 0:
            problems.append(
                gettext("「%(item)s」: 数量は0より大きくしてください。")
                % {"item": line.order_line.description}
            )
        elif not order.is_unit_price:
            left = line.order_line.quantity - _delivered_so_far(line.order_line)
            if line.quantity > left:
                problems.append(
                    gettext(
                        "「%(item)s」: 発注数量の残りは %(left)s です。"
                        "それを超えて納品できません。"
                    )
                    % {
                        "item": line.order_line.description,
                        "left": f"{left.normalize():f}",
                    }
                )
    if problems:
        raise ValidationError(problems)
    if order.is_unit_price:
        _check_ceiling(order, lines)


def _check_ceiling(order: Order, lines: list[DeliveryLineInput]) -> None:
    """A unit-price contract's deliveries, tax included, stay within its
    ceiling (上限額)."""
    rounding = order.supplier.tax_rounding
    amounts = [
        (
            row.tax_category,
            line_amount(
                quantity=quantity, unit_price=row.unit_price, rounding=rounding
            ),
        )
        for row, quantity in [
            *((row, _delivered_so_far(row)) for row in order.lines.all()),
            *((line.order_line, line.quantity) for line in lines),
        ]
        if quantity
    ]
    total = invoice_totals(
        lines=amounts, price_basis=PriceBasis.EXCLUSIVE, rounding=rounding
    ).total
    if total > order.ceiling_amount:
        raise ValidationError(
            gettext(
                "単価契約の上限額 %(ceiling)s円（税込）を超えます（今回の納品を含めると"
                " %(total)s円）。自治体の発注部署に相談してください。"
            )
            % {"ceiling": f"{order.ceiling_amount:,}", "total": f"{total:,}"}
        )


def _check_date(order: Order, delivered_on: date) -> None:
    if delivered_on > timezone.localdate():
        raise ValidationError(
            {"delivered_on": gettext("納品日に未来の日付は入れられません。")}
        )
    if delivered_on < order.order_date:
        raise ValidationError(
            {"delivered_on": gettext("納品日は発注日以後にしてください。")}
        )
    if (
        order.is_unit_price
        and not order.period_start <= delivered_on <= order.period_end
    ):
        raise ValidationError(
            {
                "delivered_on": gettext(
                    "納品日は契約期間（%(start)s〜%(end)s）の中にしてください。"
                )
                % {"start": order.period_start, "end": order.period_end}
            }
        )


@transaction.atomic
def delivery_record(
    *,
    order: Order,
    supplier: Supplier,
    actor: User,
    number: str,
    delivered_on: date,
    lines: list[DeliveryLineInput],
    notes: str = "",
) -> Delivery:
    """納品: record a (partial) delivery against a confirmed order. The
    department's staff are mailed; the inspection deadline starts.
    Raises ``ValidationError``; nothing is saved then."""
    order = order_lock(order)
    if order.supplier_id != supplier.pk:
        raise ValidationError(gettext("この発注には納品を登録できません。"))
    if order.status != OrderStatus.CONFIRMED:
        raise ValidationError(
            gettext("納品は、請書を出した（受注済の）発注にだけ登録できます。")
        )
    if not number.strip():
        raise ValidationError({"number": gettext("納品書番号を入れてください。")})
    _check_date(order, delivered_on)
    _check_quantities(order, lines)
    delivery = Delivery(
        municipality_id=order.municipality_id,
        department_id=order.department_id,
        order=order,
        supplier=supplier,
        number=number.strip(),
        delivered_on=delivered_on,
        inspection_deadline=delivered_on + timedelta(days=order.inspection_days),
        notes=notes,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError as error:
        raise ValidationError({"number": NUMBER_TAKEN}) from error
    DeliveryLine.objects.bulk_create(
        DeliveryLine(
            delivery=delivery, order_line=line.order_line, quantity=line.quantity
        )
        for line in lines
    )
    email_send_template(
        template="delivery_recorded",
        key=f"delivery:{delivery.pk}:recorded",
        to=recipients_wanting(
            staff_for_department(department=order.department),
            Notification.INVOICE_EVENTS,
        ),
        context={"delivery": delivery, "order": order},
    )
    return delivery


class InspectionResult:
    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    REJECTED = "rejected"


@transaction.atomic
def delivery_inspect(
    *,
    delivery: Delivery,
    actor: User,
    result: str,
    inspected_on: date,
    accepted_quantities: dict[int, Decimal] | None = None,
    reason: str = "",
) -> Delivery:
    """検収: accept the delivery (as delivered, or with corrected
    quantities) or reject it with a reason. Records the date, the
    inspector and the days past the statutory deadline; the supplier is
    mailed. Nobody inspects a delivery of a supplier they belong to."""
    if SupplierMembership.objects.filter(
        user_id=actor.pk, supplier_id=delivery.supplier_id
    ).exists():
        raise ValidationError(
            gettext(
                "あなたはこの納品の取引先に所属しているため、検収できません。"
                "部署の別の職員に依頼してください。"
            )
        )
    if inspected_on > timezone.localdate() or inspected_on < delivery.delivered_on:
        raise ValidationError(
            {
                "inspected_on": gettext(
                    "検収日は納品日から今日までの日付にしてください。"
                )
            }
        )
    late_days = max(0, (inspected_on - delivery.inspection_deadline).days)
    common = {
        "inspected_on": inspected_on,
        "inspected_by": actor,
        "late_days": late_days,
    }
    lines = list(delivery.lines.select_related("order_line"))
    if result == InspectionResult.REJECTED:
        if not reason.strip():
            raise ValidationError(
                {"reason": gettext("不合格の理由を入力してください。")}
            )
        delivery = delivery_transition(
            delivery=delivery,
            to=DeliveryStatus.REJECTED,
            actor=actor,
            rejection_reason=reason.strip(),
            **common,
        )
        for line in lines:
            line.accepted_quantity = 0
    else:
        corrected = result == InspectionResult.CORRECTED
        quantities = accepted_quantities or {}
        for line in lines:
            quantity = (
                quantities.get(line.pk, line.quantity) if corrected else line.quantity
            )
            if quantity < 0 or quantity > line.quantity:
                raise ValidationError(
                    gettext("「%(item)s」: 検収数量は0から納品数量までにしてください。")
                    % {"item": line.order_line.description}
                )
            line.accepted_quantity = quantity
        corrected = corrected and any(
            line.accepted_quantity != line.quantity for line in lines
        )
        delivery = delivery_transition(
            delivery=delivery,
            to=DeliveryStatus.ACCEPTED,
            actor=actor,
            corrected=corrected,
            **common,
        )
    DeliveryLine.objects.bulk_update(lines, ["accepted_quantity"])
    email_send_template(
        template="delivery_inspected",
        key=f"delivery:{delivery.pk}:inspected",
        to=recipients_wanting(
            supplier_users_for(supplier=delivery.supplier), Notification.INVOICE_EVENTS
        ),
        context={"delivery": delivery, "order": delivery.order},
    )
    return delivery
