"""``make bench``'s procurement seeding, at a tiny size: the orders,
deliveries and links it writes are consistent with each other and with the
invoices, as the services would have left them; and it is added to a
database seeded without it."""

from collections import Counter

import pytest
from django.db.models import F, Sum
from django_scopes import scopes_disabled

from benchmarks.seed import seed
from benchmarks.seed.procurement import seed_procurement
from invoices.models import Invoice, InvoiceStatus
from municipality.models import BudgetCode
from procurement.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    InvoiceOrder,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
)
from procurement.selectors import order_balance

pytestmark = pytest.mark.django_db

SIZE = 400


@pytest.fixture
def seeded():
    return seed(size=SIZE, suppliers=40, log=lambda text: None)


def test_the_procurement_seeding_is_consistent(seeded):
    report = seeded.procurement
    with scopes_disabled():
        orders = Order.objects.all()
        assert orders.count() == report.orders
        # About one order per five invoices, and the orders under way.
        assert SIZE / 10 < report.links < SIZE / 3
        assert InvoiceOrder.objects.count() == report.links
        assert OrderLine.objects.count() == report.lines
        assert Delivery.objects.count() == report.deliveries
        assert BudgetCode.objects.count() == report.budget_codes > 0
        statuses = Counter(orders.values_list("status", flat=True))
        for status in OrderStatus:
            assert statuses[status], statuses
        assert statuses[OrderStatus.COMPLETED] > statuses[OrderStatus.DRAFT]
        # Every order's header agrees with its department, supplier, budget
        # code (of its fiscal year) and lines.
        assert not orders.exclude(connection__department=F("department")).exists()
        assert not orders.exclude(connection__supplier=F("supplier")).exists()
        assert not orders.exclude(budget_code__fiscal_year=F("fiscal_year")).exists()
        assert not orders.exclude(municipality=F("department__municipality")).exists()
        one_off = orders.filter(kind="one_off").annotate(total=Sum("lines__amount"))
        assert not one_off.exclude(subtotal=F("total")).exists()
        assert not orders.filter(lines__isnull=True).exists()
        # Each link is an invoice of the order's department and supplier,
        # issued after the order was placed; and the order's balance counts it.
        for link in InvoiceOrder.objects.select_related("invoice", "order")[:50]:
            invoice, order = link.invoice, link.order
            assert (invoice.department_id, invoice.supplier_id) == (
                order.department_id,
                order.supplier_id,
            )
            assert order.order_date < invoice.issue_date
            assert order.status in (OrderStatus.CONFIRMED, OrderStatus.COMPLETED)
            if invoice.status != InvoiceStatus.RETURNED:
                assert order_balance(order=order).invoiced == invoice.total
        # Deliveries: of confirmed or completed orders, inspected after they
        # were delivered, the deadline as the law counts it.
        deliveries = Delivery.objects.select_related("order")
        for delivery in deliveries:
            assert delivery.order.status in (
                OrderStatus.CONFIRMED,
                OrderStatus.COMPLETED,
            )
            assert delivery.supplier_id == delivery.order.supplier_id
            days = (delivery.inspection_deadline - delivery.delivered_on).days
            assert days == delivery.order.inspection_days
            if delivery.status == DeliveryStatus.PENDING:
                assert delivery.inspected_on is None
            else:
                assert delivery.delivered_on <= delivery.inspected_on
                late = (delivery.inspected_on - delivery.inspection_deadline).days
                assert delivery.late_days == max(0, late)
        assert deliveries.filter(status=DeliveryStatus.PENDING).exists()
        assert not DeliveryLine.objects.exclude(
            order_line__order=F("delivery__order")
        ).exists()
        # Every order has the history its status needs.
        confirmed = OrderEvent.objects.filter(kind=OrderEventKind.CONFIRMED)
        assert confirmed.count() == orders.filter(confirmed_at__isnull=False).count()
        assert not orders.filter(events__isnull=True).exists()


def test_procurement_is_added_to_a_database_seeded_without_it():
    seed(size=200, suppliers=30, procurement=False, log=lambda text: None)
    with scopes_disabled():
        assert not Order.objects.exists()
        invoices = Invoice.objects.count()
        report = seed_procurement(log=lambda text: None)
        assert Invoice.objects.count() == invoices
        assert Order.objects.count() == report.orders > 0
        assert InvoiceOrder.objects.count() == report.links > 0
