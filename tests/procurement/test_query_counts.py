"""The procurement list pages use a constant number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from procurement.services.deliveries import DeliveryLineInput, delivery_record
from tests.procurement.conftest import make_budget_code, make_order

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _grow(tenant, connection_, budget_code, supplier_user, start, n):
    with scopes_disabled():
        for i in range(start, start + n):
            make_budget_code(tenant.municipality, kan=f"{50 + i}")
            order = make_order(
                connection=connection_,
                actor=tenant.department_staff,
                budget_code=budget_code,
                number=f"Q-{i}",
                confirm=True,
                supplier_user=supplier_user,
            )
            delivery_record(
                order=order,
                supplier=order.supplier,
                actor=supplier_user,
                number=f"QD-{i}",
                delivered_on=timezone.localdate(),
                lines=[
                    DeliveryLineInput(
                        order_line=order.lines.first(), quantity=Decimal(1)
                    )
                ],
            )


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("department_staff", "/m/kanoya/procurement/orders/"),
        ("treasury", "/m/kanoya/procurement/inspections/"),
        ("city_admin", "/m/kanoya/procurement/budget-codes/"),
        ("supplier", "/supplier/orders/"),
    ],
)
def test_list_pages_use_a_constant_number_of_queries(
    client, tenant, connection, budget_code, supplier_user, role, url
):
    user = supplier_user if role == "supplier" else getattr(tenant, role)
    client.force_login(user)
    _grow(tenant, connection, budget_code, supplier_user, 0, 2)
    few = _queries(client, url)
    _grow(tenant, connection, budget_code, supplier_user, 2, 12)
    assert _queries(client, url) == few
