"""A budget code, a connected supplier and orders made through the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from municipality.fiscal import fiscal_year_of
from municipality.models import BudgetCode
from partners.models import Connection
from procurement.models import OrderKind
from procurement.services.orders import (
    OrderLineInput,
    order_confirm,
    order_save,
    order_send,
)

# Orders are dated this many days ago, so that deliveries fit after them.
ORDER_AGE = timedelta(days=20)


def order_day() -> date:
    return timezone.localdate() - ORDER_AGE


def make_budget_code(municipality, *, fiscal_year=None, **fields):
    values = {
        "fiscal_year": fiscal_year or fiscal_year_of(order_day()),
        "account": "一般会計",
        "kan": "02",
        "kan_name": "総務費",
        "kou": "01",
        "kou_name": "総務管理費",
        "moku": "01",
        "moku_name": "一般管理費",
        "setsu": "10",
        "setsu_name": "需用費",
        "saisetsu": "01",
        "saisetsu_name": "消耗品費",
        **fields,
    }
    return BudgetCode.objects.create(municipality=municipality, **values)


def make_order(
    *,
    connection,
    actor,
    budget_code,
    kind=OrderKind.ONE_OFF,
    send=True,
    confirm=False,
    supplier_user=None,
    number="R8-0001",
    lines=None,
    order_date=None,
    **fields,
):
    today = timezone.localdate()
    order_date = order_date or order_day()
    values = {
        "kind": kind,
        "number": number,
        "order_date": order_date,
        "fiscal_year": fiscal_year_of(order_date),
        "budget_code": budget_code,
        "subject": "事務用品の購入",
        "delivery_place": "市役所本庁舎2階",
        "delivery_date": today + timedelta(days=10),
        **fields,
    }
    if kind == OrderKind.UNIT_PRICE:
        values.setdefault("period_start", order_date)
        values.setdefault("period_end", date(fiscal_year_of(order_date) + 1, 3, 31))
        values.setdefault("ceiling_amount", Decimal(100000))
    order = order_save(
        department=connection.department,
        actor=actor,
        connection=connection,
        fields=values,
        lines=lines
        or [
            OrderLineInput("コピー用紙 A4", Decimal(10), Decimal(450), "S", "箱"),
            OrderLineInput("お茶", Decimal(24), Decimal(100), "AA", "本"),
        ],
    )
    if send:
        order = order_send(order=order, actor=actor)
    if confirm:
        order = order_confirm(
            order=order, supplier=connection.supplier, actor=supplier_user
        )
    return order


@pytest.fixture
def connection(tenant, supplier_user):
    with scopes_disabled():
        return Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )


@pytest.fixture
def budget_code(tenant):
    return make_budget_code(tenant.municipality)


@pytest.fixture
def confirmed_order(tenant, connection, budget_code, supplier_user):
    return make_order(
        connection=connection,
        actor=tenant.department_staff,
        budget_code=budget_code,
        confirm=True,
        supplier_user=supplier_user,
    )
