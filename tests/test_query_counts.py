"""List pages use a constant number of queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from municipality.models import StaffRole
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    StaffMembershipFactory,
    SupplierMembershipFactory,
    UserFactory,
    make_invoice,
)

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _grow(tenant, supplier, n):
    with scopes_disabled():
        for _ in range(n):
            department = DepartmentFactory(municipality=tenant.municipality)
            ConnectionFactory(department=department)
            ConnectionFactory(department=tenant.department)
            own = ConnectionFactory(supplier=supplier, department=department)
            make_invoice(connection=own, actor=UserFactory())
            StaffMembershipFactory(
                municipality=tenant.municipality,
                role=StaffRole.DEPARTMENT,
                departments=[department, tenant.department],
            )
            # An invoice from a new supplier, for the inbox rows.
            make_invoice(
                connection=ConnectionFactory(department=tenant.department),
                actor=UserFactory(),
            )


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("city_admin", "/m/kanoya/manage/"),
        ("city_admin", "/m/kanoya/inbox/"),
        ("treasury", "/m/kanoya/inbox/"),
        ("department_staff", "/m/kanoya/inbox/?per_page=100"),
        ("city_admin", "/m/kanoya/inbox/{code}/"),
        ("treasury", "/m/kanoya/treasury/"),
        ("supplier", "/supplier/"),
        ("supplier", "/supplier/invoices/"),
        ("supplier", "/supplier/invoices/search/?counterparty=部署"),
        ("department_staff", "/m/kanoya/invoices/search/?amount_min=1"),
    ],
)
def test_list_pages_use_a_constant_number_of_queries(client, tenant, role, url):
    membership = SupplierMembershipFactory()
    ConnectionFactory(supplier=membership.supplier, department=tenant.department)
    user = membership.user if role == "supplier" else getattr(tenant, role)
    url = url.format(code=tenant.department.code)
    client.force_login(user)

    _grow(tenant, membership.supplier, 2)
    few = _queries(client, url)
    _grow(tenant, membership.supplier, 20)
    many = _queries(client, url)
    assert few == many
