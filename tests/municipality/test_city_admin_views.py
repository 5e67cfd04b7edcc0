"""The city administrator's staff and department pages (issue 13.8): only
city administrators of the municipality open them (others get 404, and
another city's staff or department does not exist here), deactivation asks
first on a page of its own, and a staff member who is deactivated is
refused on their very next request."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from municipality.console.departments import OPEN_STATUSES, open_invoice_counts
from municipality.models import (
    Department,
    SettingsEvent,
    SettingsEventKind,
    StaffInvitation,
    StaffMembership,
)
from partners.models import Connection
from tests.factories import PASSWORD, StaffMembershipFactory, make_invoice

pytestmark = pytest.mark.django_db


def _url(name, slug="kanoya", **kwargs):
    return reverse(f"city:{name}", kwargs={"municipality_slug": slug, **kwargs})


def _login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("staff", {}),
        ("staff_invite", {}),
        ("departments", {}),
        ("department_import", {}),
        ("department_export", {}),
    ],
)
def test_department_staff_and_treasury_get_404(client, tenant, name, kwargs):
    for user in (tenant.department_staff, tenant.treasury):
        client.force_login(user)
        assert client.get(_url(name, **kwargs)).status_code == 404
    client.force_login(tenant.city_admin)
    assert client.get(_url(name, **kwargs)).status_code == 200


def test_another_citys_staff_and_departments_do_not_exist_here(
    client, tenant, other_tenant
):
    client.force_login(tenant.city_admin)
    stranger = other_tenant.department_staff.pk
    for name in ("staff_edit", "staff_deactivate"):
        assert client.get(_url(name, user_pk=stranger)).status_code == 404
        assert client.post(_url(name, user_pk=stranger)).status_code == 404
    code = other_tenant.department.code
    for name in ("department_edit", "department_deactivate", "department_activate"):
        assert client.post(_url(name, code=code), {"name": "x"}).status_code == 404
    # And the other city's pages are not the admin's at all.
    assert client.get(_url("staff", slug="kirishima")).status_code == 404
    with scopes_disabled():
        assert other_tenant.department_staff.staff_memberships.exists()
        other_tenant.department.refresh_from_db()
    assert other_tenant.department.is_active


def test_a_city_admin_without_two_factor_is_sent_to_set_it_up(client, tenant):
    with scopes_disabled():
        admin = StaffMembershipFactory(
            municipality=tenant.municipality, role="city_admin", two_factor=False
        ).user
    client.force_login(admin)
    response = client.get(_url("staff"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_required"))


def test_posts_need_the_csrf_token(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.city_admin)
    response = client.post(_url("staff_deactivate", user_pk=tenant.department_staff.pk))
    assert response.status_code == 403
    with scopes_disabled():
        assert tenant.department_staff.staff_memberships.exists()


def test_a_deactivated_staff_member_is_refused_on_the_next_request(tenant):
    staff = _login(Client(), tenant.department_staff)
    assert staff.get(_url("inbox")).status_code == 200
    admin = Client()
    admin.force_login(tenant.city_admin)
    page = admin.get(_url("staff_deactivate", user_pk=tenant.department_staff.pk))
    assert "利用を停止しますか" in page.content.decode()
    with scopes_disabled():
        assert tenant.department_staff.staff_memberships.exists()  # GET asks only
    response = admin.post(_url("staff_deactivate", user_pk=tenant.department_staff.pk))
    assert response.status_code == 302
    # The session is gone: the next request is sent to the login page.
    response = staff.get(_url("inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # Logging in again does not bring the city back.
    _login(staff, tenant.department_staff)
    assert staff.get(_url("inbox")).status_code == 404
    with scopes_disabled():
        assert not StaffMembership.objects.filter(user=tenant.department_staff).exists()


def test_an_admin_cannot_deactivate_themselves(client, tenant):
    client.force_login(tenant.city_admin)
    response = client.post(
        _url("staff_deactivate", user_pk=tenant.city_admin.pk), follow=True
    )
    assert "自分自身の利用は停止できません" in response.content.decode()
    with scopes_disabled():
        assert tenant.city_admin.staff_memberships.exists()


def test_inviting_from_the_page_mails_the_link(
    client, tenant, django_capture_on_commit_callbacks
):
    client.force_login(tenant.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("staff_invite"),
            {
                "email": "kaikei@example.jp",
                "role": "department",
                "departments": [tenant.department.pk],
            },
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["kaikei@example.jp"]
    assert "/invitations/staff/" in mail.outbox[-1].body
    listing = client.get(_url("staff")).content.decode()
    assert "kaikei@example.jp" in listing
    # Department staff without a department: the page says what to do.
    response = client.post(
        _url("staff_invite"), {"email": "x@example.jp", "role": "department"}
    )
    assert "担当部署を1つ以上選んでください" in response.content.decode()
    with scopes_disabled():
        assert StaffInvitation.objects.count() == 1


def test_roles_and_departments_are_changed_on_the_edit_page(client, tenant):
    client.force_login(tenant.city_admin)
    user = tenant.department_staff
    response = client.post(
        _url("staff_edit", user_pk=user.pk),
        {"roles": ["department"], "departments": [tenant.other_department.pk]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        membership = StaffMembership.objects.get(user=user)
        assert list(membership.departments.all()) == [tenant.other_department]


def _open_invoice(tenant, supplier_user):
    with scopes_disabled():
        connection = Connection.objects.get(department=tenant.department)
        make_invoice(connection=connection, actor=supplier_user)


def test_deactivating_a_department_with_open_invoices_asks_to_confirm(
    client, tenant, supplier_user
):
    _open_invoice(tenant, supplier_user)
    client.force_login(tenant.city_admin)
    url = _url("department_deactivate", code=tenant.department.code)
    page = client.get(url).content.decode()
    assert "未処理（未開封・開封済・承認済・支払予定）の請求書が1件" in page
    response = client.post(url, {})
    assert response.status_code == 200
    assert "未処理の請求書が1件あります" in response.content.decode()
    with scopes_disabled():
        tenant.department.refresh_from_db()
    assert tenant.department.is_active
    response = client.post(url, {"confirm_open_invoices": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        tenant.department.refresh_from_db()
        (event,) = SettingsEvent.objects.filter(kind=SettingsEventKind.DEPARTMENT)
    assert not tenant.department.is_active
    assert event.actor == tenant.city_admin


def test_open_invoices_are_counted_per_department_drafts_not(tenant, supplier_user):
    _open_invoice(tenant, supplier_user)
    with scopes_disabled():
        connection = Connection.objects.get(department=tenant.department)
        make_invoice(connection=connection, actor=supplier_user, issue=False)
        counts = open_invoice_counts(tenant.municipality)
    assert counts == {tenant.department.pk: 1}


def test_open_statuses_are_the_invoice_statuses_a_department_still_handles():
    """municipality cannot import InvoiceStatus, so it names the values."""
    closed = {
        InvoiceStatus.DRAFT,
        InvoiceStatus.RETURNED,
        InvoiceStatus.WITHDRAWN,
        InvoiceStatus.PAID,
    }
    assert set(OPEN_STATUSES) == set(InvoiceStatus.values) - closed


def test_a_department_is_added_and_re_parented_without_cycles(client, tenant):
    client.force_login(tenant.city_admin)
    response = client.post(
        _url("department_create"),
        {"code": "777", "name": "新設課", "parent": tenant.department.pk},
    )
    assert response.status_code == 302
    with scopes_disabled():
        new = Department.objects.get(code="777")
    # The department's own subtree is not offered as its parent.
    response = client.post(
        _url("department_edit", code=tenant.department.code),
        {"name": tenant.department.name, "parent": new.pk},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    with scopes_disabled():
        tenant.department.refresh_from_db()
    assert tenant.department.parent is None


def test_the_csv_import_page_lists_the_problems_and_saves_nothing(client, tenant):
    client.force_login(tenant.city_admin)
    with scopes_disabled():
        before = set(tenant.municipality.departments.values_list("code", "name"))
    data = "部署コード,部署名,上位部署コード,有効\r\n888,,,1\r\n".encode("cp932")
    response = client.post(
        _url("department_import"),
        {"file": SimpleUploadedFile("departments.csv", data, "text/csv")},
    )
    assert response.status_code == 200
    assert "2行目: 部署名を入力してください。" in response.content.decode()
    # (Compared as a whole: the factories' codes count up and reach 888.)
    with scopes_disabled():
        after = set(tenant.municipality.departments.values_list("code", "name"))
    assert after == before
    export = client.get(_url("department_export"))
    assert export["Content-Type"].startswith("text/csv")
    assert tenant.department.code in export.content.decode("utf-8-sig")
