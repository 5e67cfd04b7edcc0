"""Platform administrators (Django admin) and city administrators (every
page of their municipality) must set up two-factor authentication first;
until then a page explains how."""

import pytest
from django.urls import get_resolver, reverse

from accounts.twofactor import totp_code
from municipality.models import StaffRole
from municipality.views import CityRoleRequiredMixin
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    StaffMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REQUIRED = reverse("two_factor_required")


def _enable_two_factor(client, password=PASSWORD):
    """Set up an authenticator app the way a person does: the activation
    page asks for the password again, shows a secret, takes a code."""
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": password})
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302


@pytest.fixture
def admin_without_two_factor():
    return UserFactory(is_staff=True, is_superuser=True, two_factor=False)


def test_platform_admin_without_two_factor_is_sent_to_the_explanation(
    client, admin_without_two_factor
):
    client.post(
        reverse("account_login"),
        {"login": admin_without_two_factor.email, "password": PASSWORD},
    )
    assert "_auth_user_id" in client.session

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == f"{REQUIRED}?next=%2Fadmin%2F"
    page = response.content.decode()
    assert "二段階認証の設定が必要です" in page
    assert reverse("mfa_activate_totp") in page
    assert client.get("/admin/accounts/user/").status_code == 302


def test_platform_admin_uses_the_admin_after_enabling_two_factor(
    client, admin_without_two_factor
):
    client.force_login(admin_without_two_factor)
    assert client.get("/admin/").status_code == 302

    _enable_two_factor(client)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    page = client.get(f"{REQUIRED}?next=/admin/").content.decode()
    assert "二段階認証は設定済みです" in page
    assert 'href="/admin/"' in page


@pytest.fixture
def city_admin_without_two_factor(tenant):
    return StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.CITY_ADMIN, two_factor=False
    ).user


@pytest.mark.parametrize(
    "path",
    [
        "/m/kanoya/manage/",
        "/m/kanoya/manage/invitations/",
        "/m/kanoya/manage/treasury-settings/",
        "/m/kanoya/inbox/",
        "/m/kanoya/invoices/search/",
    ],
)
def test_city_admin_without_two_factor_is_sent_to_the_explanation(
    client, city_admin_without_two_factor, path
):
    client.force_login(city_admin_without_two_factor)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{REQUIRED}?next={path.replace('/', '%2F')}"
    page = client.get(response["Location"]).content.decode()
    assert "二段階認証の設定が必要です" in page
    assert f'href="{path}"' in page


def test_city_admin_cannot_post_without_two_factor(
    client, tenant, city_admin_without_two_factor, mailoutbox
):
    client.force_login(city_admin_without_two_factor)

    response = client.post(
        reverse("city:invitation_create", args=["kanoya"]),
        {"email": "new@example.jp", "departments": [tenant.department.pk]},
    )

    assert response["Location"] == REQUIRED
    assert mailoutbox == []


def test_city_admin_uses_the_console_after_enabling_two_factor(
    client, city_admin_without_two_factor
):
    client.force_login(city_admin_without_two_factor)
    assert client.get("/m/kanoya/manage/").status_code == 302

    _enable_two_factor(client)

    assert client.get("/m/kanoya/manage/").status_code == 200
    assert client.get("/m/kanoya/inbox/").status_code == 200


def test_city_admin_logs_in_with_a_code_and_lands_on_the_console(client, tenant):
    response = client.post(
        reverse("account_login"),
        {"login": tenant.city_admin.email, "password": PASSWORD},
    )
    assert response["Location"] == reverse("mfa_authenticate")

    client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})

    assert client.get(reverse("home"))["Location"] == "/m/kanoya/manage/"
    assert client.get("/m/kanoya/manage/").status_code == 200


def test_other_staff_need_no_two_factor(client, tenant):
    client.force_login(tenant.department_staff)
    assert client.get("/m/kanoya/inbox/").status_code == 200
    client.force_login(tenant.treasury)
    assert client.get("/m/kanoya/treasury/").status_code == 200


def test_a_role_elsewhere_does_not_escape_the_rule(
    client, tenant, other_tenant, city_admin_without_two_factor
):
    """A city admin of 鹿屋市 who is department staff in 霧島市 needs no code
    there, but still does for every 鹿屋市 page."""
    StaffMembershipFactory(
        user=city_admin_without_two_factor,
        municipality=other_tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[other_tenant.department],
    )
    client.force_login(city_admin_without_two_factor)

    assert client.get("/m/kirishima/inbox/").status_code == 200
    assert client.get("/m/kanoya/inbox/").status_code == 302


def test_the_explanation_page_leads_only_to_this_site(client, tenant):
    client.force_login(tenant.city_admin)

    page = client.get(f"{REQUIRED}?next=https://evil.example/").content.decode()

    assert "evil.example" not in page
    assert f'href="{reverse("home")}"' in page


def test_every_city_page_checks_roles_and_two_factor():
    """The rule lives in CityRoleRequiredMixin: every view of the city area
    must use it."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield namespace, pattern

    city_views = [
        pattern.callback
        for namespace, pattern in walk(get_resolver().url_patterns)
        if namespace == "city"
    ]
    assert len(city_views) > 20
    unchecked = [
        view.__name__
        for view in city_views
        if not issubclass(getattr(view, "view_class", object), CityRoleRequiredMixin)
    ]
    assert unchecked == []
