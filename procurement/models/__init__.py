"""The procurement app's models, one module per concern."""

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
