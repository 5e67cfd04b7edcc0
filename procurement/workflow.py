"""The only code that changes an order's or a delivery's status: one
transition table per model. Each move locks the row, checks the state
again, saves and records the order's event in one transaction."""

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from procurement.models import (
    Delivery,
    DeliveryStatus,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)

OS = OrderStatus
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.DRAFT: frozenset({OS.ORDERED, OS.CANCELLED}),
    OS.ORDERED: frozenset({OS.CONFIRMED, OS.QUESTION, OS.CANCELLED}),
    OS.QUESTION: frozenset({OS.ORDERED, OS.CANCELLED}),
    OS.CONFIRMED: frozenset({OS.COMPLETED}),
    OS.COMPLETED: frozenset(),
    OS.CANCELLED: frozenset(),
}
_ORDER_EVENTS = {
    OS.ORDERED: OrderEventKind.ORDERED,
    OS.QUESTION: OrderEventKind.QUESTION,
    OS.CONFIRMED: OrderEventKind.CONFIRMED,
    OS.COMPLETED: OrderEventKind.COMPLETED,
    OS.CANCELLED: OrderEventKind.CANCELLED,
}

DS = DeliveryStatus
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    DS.PENDING: frozenset({DS.ACCEPTED, DS.REJECTED}),
    DS.ACCEPTED: frozenset(),
    DS.REJECTED: frozenset(),
}


class OrderTransitionError(Exception):
    """The order's or delivery's status does not allow the move (it may
    have just been changed by someone else)."""

    def __init__(self, current_label: str, to_label: str):
        super().__init__(
            gettext(
                "「%(status)s」のため「%(to)s」にできません。"
                "画面を更新して状態を確認してください。"
            )
            % {"status": current_label, "to": to_label}
        )


def order_lock(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("municipality", "department", "supplier", "budget_code")
        .get(pk=order.pk)
    )


def order_event_add(
    *, order: Order, kind: str, actor: User | None, message: str = "", **statuses
) -> OrderEvent:
    return OrderEvent.objects.create(
        municipality_id=order.municipality_id,
        order=order,
        kind=kind,
        actor=actor,
        message=message,
        from_status=statuses.get("from_status", ""),
        to_status=statuses.get("to_status", ""),
    )


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to: str,
    actor: User | None,
    message: str = "",
    kind: str = "",
    **fields,
) -> Order:
    """Move ``order`` to ``to`` with ``fields`` and record the event
    (``kind``, by default the one of ``to``).
    Raises ``OrderTransitionError`` when the table does not allow it."""
    locked = order_lock(order)
    if to not in ORDER_TRANSITIONS[locked.status]:
        raise OrderTransitionError(locked.get_status_display(), OS(to).label)
    from_status = locked.status
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    order_event_add(
        order=locked,
        kind=kind or _ORDER_EVENTS[to],
        actor=actor,
        message=message,
        from_status=from_status,
        to_status=to,
    )
    return locked


@transaction.atomic
def delivery_transition(
    *, delivery: Delivery, to: str, actor: User, **fields
) -> Delivery:
    """Move ``delivery`` to ``to`` (its inspection) with ``fields``."""
    locked = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("order", "municipality")
        .get(pk=delivery.pk)
    )
    if to not in DELIVERY_TRANSITIONS[locked.status]:
        raise OrderTransitionError(locked.get_status_display(), DS(to).label)
    locked.status = to
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", *fields])
    return locked
