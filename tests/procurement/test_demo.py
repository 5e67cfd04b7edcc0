"""The demo's procurement: orders in every state, deliveries awaiting
inspection, inspected and rejected, and a monthly invoice drafted from a
unit-price contract, made once."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from procurement.matching import invoice_match
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
        link = InvoiceOrder.objects.select_related("invoice").get(
            invoice__status=InvoiceStatus.DRAFT
        )
        assert link.invoice.deliveries.count() == 2
        # The completed order's invoice, approved with the order's budget code.
        approved = InvoiceOrder.objects.select_related("invoice", "order").get(
            order__number="R-DEMO-007"
        )
        assert approved.invoice.status == InvoiceStatus.APPROVED
        assert approved.invoice.accounting.budget_code == approved.order.budget_code
        # The three-way match: matched, mismatched, over the ceiling.
        matches = {
            link.invoice.number: invoice_match(invoice=link.invoice, link=link)
            for link in InvoiceOrder.objects.select_related("invoice", "order").filter(
                invoice__number__startswith="DEMO-MATCH-"
            )
        }
        assert matches["DEMO-MATCH-1"].matched
        assert not matches["DEMO-MATCH-2"].matched
        assert matches["DEMO-MATCH-2"].over_amount == 0
        assert matches["DEMO-MATCH-4"].over_amount == 5000
        orders = Order.objects.count()
    call_command("seed_demo", force=True, stdout=StringIO())
    with scopes_disabled():
        assert Order.objects.count() == orders
