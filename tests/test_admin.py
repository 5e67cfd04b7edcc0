"""The Django admin is where platform admins work: every model's list,
search, filters and forms must work (scopes are disabled there)."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from municipality.models import StaffMembership, StaffRole
from partners.models import Connection
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, tenant, other_tenant, supplier_user):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "accounts/user",
        "municipality/municipality",
        "municipality/department",
        "municipality/staffmembership",
        "municipality/treasurysettings",
        "municipality/paymentbatch",
        "municipality/reconciliation",
        "municipality/invoicepaymentconfirmation",
        "partners/supplier",
        "partners/suppliermembership",
        "partners/connection",
    ],
)
def test_every_changelist_searches_and_opens_its_add_form(admin_client, model):
    base = f"/admin/{model}/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(base, {"q": "鹿屋"}).status_code == 200
    # Batches are made on the treasury pages only, reconciliations on the
    # supplier's; the admin reads them.
    read_only = {
        "municipality/paymentbatch",
        "municipality/reconciliation",
        "municipality/invoicepaymentconfirmation",
    }
    expected = 403 if model in read_only else 200
    assert admin_client.get(f"{base}add/").status_code == expected


def test_change_forms_open_for_scoped_rows(admin_client, tenant):
    with scopes_disabled():
        connection = Connection.objects.first()
        membership = StaffMembership.objects.filter(role=StaffRole.DEPARTMENT).first()
    for obj in (tenant.department, connection, membership, tenant.department_staff):
        url = reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]
        )
        assert admin_client.get(url).status_code == 200, url


def test_department_list_filters_by_municipality(admin_client, tenant, other_tenant):
    response = admin_client.get(
        "/admin/municipality/department/",
        {"municipality__id__exact": other_tenant.municipality.pk},
    )
    page = response.content.decode()
    assert other_tenant.department.name in page
    assert tenant.department.name not in page


def test_admin_refuses_a_supplier_with_a_bad_registration_number(admin_client):
    response = admin_client.post(
        "/admin/partners/supplier/add/",
        {
            "legal_name": "株式会社テスト",
            "name_kana": "テスト",
            "registration_number": "Ｔ７１２０００１１６８４２２",
            "address": "鹿児島県鹿屋市",
            "tax_rounding": "floor",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "connections-TOTAL_FORMS": "0",
            "connections-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "検査用数字" in response.content.decode()


def test_admin_connection_takes_the_municipality_of_its_department(
    admin_client, other_tenant, supplier_factory
):
    supplier = supplier_factory()
    response = admin_client.post(
        "/admin/partners/connection/add/",
        {
            "supplier": supplier.pk,
            "department": other_tenant.department.pk,
            "payee_code": "R000001",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        connection = Connection.objects.get(supplier=supplier)
    assert connection.municipality == other_tenant.municipality


def test_admin_refuses_department_staff_without_departments(admin_client, tenant):
    response = admin_client.post(
        "/admin/municipality/staffmembership/add/",
        {
            "user": UserFactory().pk,
            "municipality": tenant.municipality.pk,
            "role": StaffRole.DEPARTMENT,
        },
    )
    assert response.status_code == 200
    assert "担当部署を1つ以上" in response.content.decode()


def test_admin_is_closed_to_portal_users(client, tenant):
    client.force_login(tenant.city_admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_normalises_a_municipality_postal_code(admin_client, tenant):
    municipality = tenant.municipality
    url = f"/admin/municipality/municipality/{municipality.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in ((name, form[name].value()) for name in form.fields)
        if value is not None
    }
    data["postal_code"] = "〒８９３－００１４"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    municipality.refresh_from_db()
    assert municipality.postal_code == "893-0014"
    data["postal_code"] = "893-00"
    page = admin_client.post(url, data).content.decode()
    assert "郵便番号は7桁の数字で入力してください" in page
