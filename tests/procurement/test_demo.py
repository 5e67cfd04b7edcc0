"""The demo's procurement: orders in every state, deliveries awaiting
inspection, inspected and rejected, and a monthly invoice drafted from a
unit-price contract, made once."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from procurement.models import (
    Delivery,
    DeliveryStatus,
    InvoiceOrder,
    Order,
    OrderStatus,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_orders_and_deliveries_in_every_state():
    call_command("seed_demo", force=True, stdout=StringIO())
    with scopes_disabled():
        assert set(Order.objects.values_list("status", flat=True)) == set(
            OrderStatus.values
        )
        assert set(Delivery.objects.values_list("status", flat=True)) == set(
            DeliveryStatus.values
        )
        # A draft from the unit-price contract's deliveries, and the
        # completed order's invoice, approved.
        draft, approved = InvoiceOrder.objects.select_related(
            "invoice", "order"
        ).order_by("order__number")
        assert draft.invoice.status == InvoiceStatus.DRAFT
        assert draft.invoice.deliveries.count() == 2
        assert approved.invoice.status == InvoiceStatus.APPROVED
        assert approved.invoice.accounting.budget_code == approved.order.budget_code
        orders = Order.objects.count()
    call_command("seed_demo", force=True, stdout=StringIO())
    with scopes_disabled():
        assert Order.objects.count() == orders
