"""Three-way match (三点照合) of an invoice against its order and the
inspected deliveries: what was ordered, what the inspection accepted, and
what the invoice bills. Reads only.

What is expected of the invoice is what the inspection accepted, at the
order's unit prices: for an invoice drafted from deliveries, those
deliveries; for one entered by hand, by CSV or received as JP PINT, the
order's accepted deliveries not yet on another live invoice (such an
invoice bills no delivery of its own, so once it is approved those
deliveries still count as not invoiced: the match is for the decision
before approval). Items are matched by their name (品名) as the order
gives it."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext

from invoices.models import Invoice
from invoices.tax import invoice_totals, line_amount
from partners.models import PriceBasis
from procurement.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    InvoiceOrder,
    Order,
    OrderStatus,
)
from procurement.selectors import INVOICED, OrderBalance, order_balance
from procurement.services.invoicing import deliveries_billable


@dataclass(frozen=True)
class Difference:
    """One disagreement: the item (or the invoice as a whole), what is
    compared, what the order and inspection give and what is invoiced."""

    item: str
    aspect: str
    expected: str
    invoiced: str


@dataclass
class MatchRow:
    description: str
    unit: str
    ordered: Decimal | None
    expected_quantity: Decimal = Decimal(0)
    expected_amount: int = 0
    invoiced_quantity: Decimal = Decimal(0)
    invoiced_amount: int = 0
    on_order: bool = True


@dataclass
class InvoiceMatch:
    """The match of one invoice; ``order`` is None when the invoice names
    an order number that no order of its department and supplier has."""

    order_number: str
    order: Order | None = None
    from_deliveries: bool = False
    deliveries: list[Delivery] = field(default_factory=list)
    rows: list[MatchRow] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    expected_total: int = 0
    invoiced_total: int = 0
    balance: OrderBalance | None = None
    # What the order's invoices, this one included, come to over its
    # amount (the ceiling of a unit-price contract); 0 when within it.
    over_amount: int = 0
    invoiced_with_this: int = 0

    @property
    def matched(self) -> bool:
        return self.order is not None and not self.differences


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _yen(value: int) -> str:
    return gettext("%(amount)s円") % {"amount": f"{value:,}"}


def invoice_order_link(*, invoice: Invoice) -> InvoiceOrder | None:
    return InvoiceOrder.objects.filter(invoice=invoice).select_related("order").first()


def _expected_deliveries(invoice: Invoice, order: Order) -> tuple[bool, list]:
    lines = Prefetch(
        "lines", queryset=DeliveryLine.objects.select_related("order_line")
    )
    own = list(
        Delivery.objects.filter(
            order=order, invoice=invoice, status=DeliveryStatus.ACCEPTED
        )
        .prefetch_related(lines)
        .order_by("delivered_on", "pk")
    )
    if own:
        return True, own
    return False, list(deliveries_billable(order=order))


def invoice_match(*, invoice: Invoice, link: InvoiceOrder | None) -> InvoiceMatch:
    """The invoice matched against its order (``link``) and the inspected
    deliveries. A constant number of queries."""
    match = InvoiceMatch(order_number=invoice.order_number)
    if link is None:
        return match
    order = match.order = link.order
    match.order_number = order.number
    rounding = invoice.supplier.tax_rounding
    match.from_deliveries, match.deliveries = _expected_deliveries(invoice, order)
    rows: dict[str, MatchRow] = {}
    for line in order.lines.all():
        rows.setdefault(
            line.description,
            MatchRow(description=line.description, unit=line.unit, ordered=None),
        )
        if line.quantity is not None:
            row = rows[line.description]
            row.ordered = (row.ordered or Decimal(0)) + line.quantity
    expected_lines = []
    for delivery in match.deliveries:
        for delivered in delivery.lines.all():
            if not delivered.accepted_quantity:
                continue
            order_line = delivered.order_line
            amount = line_amount(
                quantity=delivered.accepted_quantity,
                unit_price=order_line.unit_price,
                rounding=rounding,
            )
            row = rows[order_line.description]
            row.expected_quantity += delivered.accepted_quantity
            row.expected_amount += int(amount)
            expected_lines.append((order_line.tax_category, amount))
    for line in invoice.lines.all():
        row = rows.get(line.description)
        if row is None:
            row = rows[line.description] = MatchRow(
                description=line.description,
                unit=line.unit,
                ordered=None,
                on_order=False,
            )
        row.invoiced_quantity += line.quantity
        row.invoiced_amount += int(line.amount)
    match.rows = [
        row for row in rows.values() if row.expected_quantity or row.invoiced_quantity
    ]
    match.expected_total = int(
        invoice_totals(
            lines=expected_lines, price_basis=PriceBasis.EXCLUSIVE, rounding=rounding
        ).total
    )
    match.invoiced_total = int(invoice.total)
    match.differences = _differences(invoice, order, match)
    match.balance = order_balance(order=order)
    counted = invoice.status in INVOICED
    match.invoiced_with_this = match.balance.invoiced + (
        0 if counted else int(invoice.total)
    )
    match.over_amount = max(0, match.invoiced_with_this - match.balance.amount)
    return match


def _differences(invoice: Invoice, order: Order, match: InvoiceMatch) -> list:
    inspected = gettext("検収済み")
    differences = []
    if order.status == OrderStatus.CANCELLED:
        differences.append(
            Difference(
                gettext("発注"), gettext("状態"), gettext("取消"), gettext("請求あり")
            )
        )
    # A tax-inclusive invoice's line amounts include the tax: compared as
    # a whole, by its total.
    exclusive = invoice.price_basis == PriceBasis.EXCLUSIVE
    for row in match.rows:
        if not row.on_order:
            differences.append(
                Difference(
                    row.description,
                    gettext("品目"),
                    gettext("発注にない品目"),
                    _quantity(row.invoiced_quantity),
                )
            )
            continue
        if row.expected_quantity != row.invoiced_quantity:
            differences.append(
                Difference(
                    row.description,
                    gettext("数量"),
                    f"{inspected} {_quantity(row.expected_quantity)}",
                    _quantity(row.invoiced_quantity),
                )
            )
        elif exclusive and row.expected_amount != row.invoiced_amount:
            differences.append(
                Difference(
                    row.description,
                    gettext("金額（税抜）"),
                    _yen(row.expected_amount),
                    _yen(row.invoiced_amount),
                )
            )
    if match.expected_total != match.invoiced_total:
        differences.append(
            Difference(
                gettext("請求書全体"),
                gettext("請求金額（税込）"),
                _yen(match.expected_total),
                _yen(match.invoiced_total),
            )
        )
    return differences
