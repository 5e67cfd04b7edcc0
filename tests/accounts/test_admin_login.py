"""The Django admin has no password form of its own: /admin/login/ leads to
allauth's login page, with its rate limits and its second step, and only
platform administrators with two-factor authentication get in."""

import pytest
from django.urls import reverse

from accounts.twofactor import totp_code
from tests.factories import PASSWORD, TOTP_SECRET, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"


def _admin_login(client, email, password):
    """Log in wherever the admin's login page leads, as a person (or a bot
    that knows both forms' field names) would."""
    page = client.get(ADMIN_LOGIN)
    url = page["Location"] if page.status_code == 302 else ADMIN_LOGIN
    return client.post(url, {"username": email, "login": email, "password": password})


def test_admin_login_page_leads_to_the_portal_login(client):
    response = client.get(ADMIN_LOGIN)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_admin_login_takes_no_password_alone_from_a_two_factor_user(client):
    admin = UserFactory(is_staff=True, is_superuser=True)

    client.post(ADMIN_LOGIN, {"username": admin.email, "password": PASSWORD})
    _admin_login(client, admin.email, PASSWORD)

    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_admin_login_asks_for_the_code_then_opens_the_admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True)

    response = _admin_login(client, admin.email, PASSWORD)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    response = client.post(
        reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_is_rate_limited_like_the_portal_login(client):
    # No second step, so only the rate limit can stop the right password.
    admin = UserFactory(is_staff=True, is_superuser=True, two_factor=False)

    for _ in range(15):
        _admin_login(client, admin.email, "wrong-password")
    response = _admin_login(client, admin.email, PASSWORD)

    assert "_auth_user_id" not in client.session
    assert "ログイン失敗が連続" in response.content.decode()


def test_admin_login_refuses_a_user_who_is_not_staff(client, tenant):
    client.force_login(tenant.treasury)

    assert client.get(ADMIN_LOGIN).status_code == 403
    assert client.get("/admin/").status_code == 302
