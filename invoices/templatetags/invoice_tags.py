from decimal import Decimal

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from invoices.forms.bulk import BulkApproveForm
from invoices.signals import city_invoice_panels as panels_signal

register = template.Library()

# Negative amounts (値引き, 返品) are written with the minus sign U+2212, wider
# than a hyphen so it is not missed, and read as "minus" by screen readers.
MINUS = "\u2212"


def _signed(value: Decimal | int, text: str) -> str:
    return f"{MINUS}{text}" if value < 0 else text


@register.filter
def yen(value) -> str:
    """Whole yen with thousands separators: ``1,234円``, ``−1,000円``.
    Anything but a ``Decimal`` or ``int`` is a programming error, not
    something to hide."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"yen expects Decimal, got {type(value).__name__}")
    amount = gettext("%(amount)s円") % {"amount": f"{abs(value):,.0f}"}
    return _signed(value, amount)


@register.filter
def number(value) -> str:
    """A quantity or unit price without trailing zeros: ``2.5``, ``1,200``."""
    if not isinstance(value, Decimal | int):
        raise TypeError(f"number expects Decimal, got {type(value).__name__}")
    value = Decimal(value).normalize()
    size = abs(value)
    if size == size.to_integral():
        return _signed(value, f"{size:,.0f}")
    return _signed(value, f"{size:,f}")


# まとめて承認 in the inbox (a template of the municipality app, which
# knows nothing of the bulk action's form) -----------------------------------


@register.simple_tag
def bulk_approve_form():
    """The inspection date (検収日) of まとめて承認, for the inbox."""
    return BulkApproveForm(auto_id="bulk_%s")


@register.simple_tag(takes_context=True)
def city_invoice_panels(context, invoice, place: str) -> str:
    """What the apps above invoices add to the staff's invoice page
    (``place`` "detail") or to its approval confirmation ("approve"):
    each receiver's HTML, escaped unless its own template rendered it."""
    responses = panels_signal.send(
        sender=type(invoice), invoice=invoice, request=context["request"], place=place
    )
    return mark_safe(  # noqa: S308 - every part is escaped or template-rendered
        "".join(str(conditional_escape(html)) for _receiver, html in responses if html)
    )
