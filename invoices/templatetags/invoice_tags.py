from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yen(value) -> str:
    """Whole yen with thousands separators: ``1,234円``. Anything but a
    ``Decimal`` or ``int`` is a programming error, not something to hide."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"yen expects Decimal, got {type(value).__name__}")
    return f"{value:,.0f}円"


@register.filter
def number(value) -> str:
    """A quantity or unit price without trailing zeros: ``2.5``, ``1,200``."""
    if not isinstance(value, Decimal | int):
        raise TypeError(f"number expects Decimal, got {type(value).__name__}")
    value = Decimal(value).normalize()
    if value == value.to_integral():
        return f"{value:,.0f}"
    return f"{value:,f}"
