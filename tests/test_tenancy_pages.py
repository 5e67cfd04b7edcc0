"""What each role's pages list, in two municipalities with two suppliers:
nothing of another supplier, municipality or department. Which URL answers
which role is the tenancy matrix's job (``tests/test_tenancy.py``)."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    login_through_form,
    make_invoice,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant, other_tenant, supplier_user, other_supplier_user):
    return {
        "tenant": tenant,
        "other": other_tenant,
        "supplier": supplier_user,
        "other_supplier": other_supplier_user,
    }


def test_supplier_sees_its_connections_and_not_another_suppliers(client, world):
    client.force_login(world["supplier"])
    page = client.get(reverse("supplier:home")).content.decode()
    membership = world["supplier"].supplier_membership
    other = world["other_supplier"].supplier_membership
    assert membership.supplier.legal_name in page
    assert world["tenant"].department.name in page
    assert other.supplier.legal_name not in page
    assert world["other"].department.name not in page


def test_supplier_sees_connections_in_every_municipality_it_works_with(client, world):
    supplier = world["supplier"].supplier_membership.supplier
    ConnectionFactory(supplier=supplier, department=world["other"].other_department)
    client.force_login(world["supplier"])
    page = client.get(reverse("supplier:home")).content.decode()
    assert world["tenant"].department.name in page
    assert world["other"].other_department.name in page
    # The other municipality's other department is not connected.
    assert world["other"].department.name not in page


def test_treasury_lists_only_its_municipalitys_payees(client, world):
    client.force_login(world["tenant"].treasury)
    page = client.get(reverse("city:treasury", args=["kanoya"])).content.decode()
    assert world["supplier"].supplier_membership.supplier.legal_name in page
    assert world["other_supplier"].supplier_membership.supplier.legal_name not in page


def test_department_staff_inbox_lists_only_their_departments(client, world):
    tenant = world["tenant"]
    supplier = world["supplier"].supplier_membership.supplier
    with scopes_disabled():
        own, sibling = (
            make_invoice(connection=connection, actor=world["supplier"])
            for connection in (
                supplier.connections.get(department=tenant.department),
                ConnectionFactory(
                    supplier=supplier, department=tenant.other_department
                ),
            )
        )
    client.force_login(tenant.department_staff)
    page = client.get(reverse("city:inbox", args=["kanoya"])).content.decode()
    assert own.number in page
    assert sibling.number not in page
    assert tenant.department.name in page
    assert tenant.other_department.name not in page


def test_city_admin_overview_lists_only_its_own_staff(client, world):
    client.force_login(world["tenant"].city_admin)
    page = client.get(reverse("city:manage", args=["kanoya"])).content.decode()
    assert world["tenant"].treasury.email in page
    assert world["other"].treasury.email not in page
    assert world["other"].department.name not in page


def test_role_switch_refuses_a_role_the_user_does_not_hold(client, world):
    client.force_login(world["tenant"].department_staff)
    response = client.post(reverse("switch_role"), {"role": "city_admin:kanoya"})
    assert response.status_code == 404


def test_login_lands_on_the_home_of_each_role(client, world):
    homes = {
        world["supplier"]: "/supplier/",
        world["tenant"].department_staff: "/m/kanoya/inbox/",
        world["tenant"].treasury: "/m/kanoya/treasury/",
        world["tenant"].city_admin: "/m/kanoya/manage/",
    }
    for user, home in homes.items():
        response = login_through_form(client, user.email, PASSWORD)
        assert response.redirect_chain[-1][0] == home, user.email
        assert response.status_code == 200
        client.post(reverse("account_logout"))
