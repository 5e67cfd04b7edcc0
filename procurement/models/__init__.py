"""The procurement app's models, one module per concern."""

from procurement.models.budget import LEVELS, BudgetCode
from procurement.models.deliveries import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    InvoiceOrder,
)
from procurement.models.orders import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderLine,
    OrderStatus,
)

__all__ = [
    "LEVELS",
    "BudgetCode",
    "Delivery",
    "DeliveryLine",
    "DeliveryStatus",
    "InvoiceOrder",
    "Order",
    "OrderEvent",
    "OrderEventKind",
    "OrderKind",
    "OrderLine",
    "OrderStatus",
]
