"""Every view that exists, for every role, in two municipalities with two
suppliers: a role sees what its memberships grant and gets 404 otherwise."""

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


def _urls(world):
    t, o = world["tenant"], world["other"]
    slug, other_slug = t.municipality.slug, o.municipality.slug
    return {
        "inbox": reverse("city:inbox", args=[slug]),
        "own_department": reverse("city:department", args=[slug, t.department.code]),
        "sibling_department": reverse(
            "city:department", args=[slug, t.other_department.code]
        ),
        "treasury": reverse("city:treasury", args=[slug]),
        "manage": reverse("city:manage", args=[slug]),
        "other_inbox": reverse("city:inbox", args=[other_slug]),
        "other_department": reverse(
            "city:department", args=[other_slug, o.department.code]
        ),
        "other_treasury": reverse("city:treasury", args=[other_slug]),
        "other_manage": reverse("city:manage", args=[other_slug]),
        "missing_municipality": reverse("city:inbox", args=["nowhere"]),
        "supplier_home": reverse("supplier:home"),
        "supplier_profile": reverse("supplier:profile"),
        "supplier_bank_accounts": reverse("supplier:bank_accounts"),
        "supplier_members": reverse("supplier:members"),
        "supplier_invoices": reverse("supplier:invoices"),
        "supplier_invoice_new": reverse("supplier:invoice_new"),
        "supplier_search": reverse("supplier:invoice_search"),
        "search": reverse("city:invoice_search", args=[slug]),
        "other_search": reverse("city:invoice_search", args=[other_slug]),
        "console_requests": reverse("city:invitation_requests", args=[slug]),
        "console_invitations": reverse("city:invitations", args=[slug]),
        "console_invite": reverse("city:invitation_create", args=[slug]),
        "other_console_requests": reverse(
            "city:invitation_requests", args=[other_slug]
        ),
    }


# What each role may open; every other URL must answer 404.
GRANTED = {
    "department_staff": {"inbox", "own_department", "search"},
    # The treasury reads every department's invoices in the inbox.
    "treasury": {"treasury", "inbox", "search"},
    "city_admin": {
        "inbox",
        "search",
        "own_department",
        "sibling_department",
        "manage",
        "console_requests",
        "console_invitations",
        "console_invite",
    },
    # The fixture's supplier user is an owner.
    "supplier": {
        "supplier_home",
        "supplier_profile",
        "supplier_bank_accounts",
        "supplier_members",
        "supplier_invoices",
        "supplier_invoice_new",
        "supplier_search",
    },
}


def _user(world, role):
    return world["supplier"] if role == "supplier" else getattr(world["tenant"], role)


@pytest.mark.parametrize("role", sorted(GRANTED))
def test_each_role_sees_only_what_it_is_granted(client, world, role):
    client.force_login(_user(world, role))
    for name, url in _urls(world).items():
        status = client.get(url).status_code
        expected = 200 if name in GRANTED[role] else 404
        assert status == expected, f"{role} → {name} ({url}) gave {status}"


def test_anonymous_visitors_are_sent_to_login(client, world):
    for url in _urls(world).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_user_with_no_role_gets_404_everywhere(client, world, user_factory):
    client.force_login(user_factory())
    for url in _urls(world).values():
        assert client.get(url).status_code == 404


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
