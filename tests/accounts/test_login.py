import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code, computed independently of allauth."""
    counter = int((at or time.time()) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_login_page_is_in_japanese(client):
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="ja">' in page
    assert "メールアドレス" in page
    assert "パスワード" in page


def test_login_by_email_is_case_insensitive(client, tenant):
    response = _login(client, tenant.treasury.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_is_refused_with_a_message(client, tenant):
    response = _login(client, tenant.treasury.email, "wrong-password")
    assert response.status_code == 200
    assert "正しくありません" in response.content.decode()


def test_failed_logins_are_rate_limited_per_address(client, tenant):
    cache.clear()
    for _ in range(5):
        assert _login(client, tenant.treasury.email, "wrong").status_code == 200
    # Even the right password is refused until the limit expires.
    response = _login(client, tenant.treasury.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "ログイン失敗が連続" in response.content.decode()
    cache.clear()


def test_sign_up_is_closed(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.jp", "password1": "x" * 12, "password2": "x" * 12},
    )
    assert not response.context["user"].is_authenticated


def test_user_without_role_sees_what_to_do(client, user_factory):
    client.force_login(user_factory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "役割がまだ割り当てられていません" in response.content.decode()


def test_user_with_several_roles_can_switch_and_home_remembers(
    client, tenant, other_tenant
):
    from municipality.models import StaffRole
    from tests.factories import StaffMembershipFactory

    user = tenant.department_staff
    StaffMembershipFactory(
        user=user, municipality=other_tenant.municipality, role=StaffRole.TREASURY
    )
    client.force_login(user)
    first = client.get(reverse("home"))
    assert first["Location"] == "/m/kanoya/inbox/"
    page = client.get(first["Location"]).content.decode()
    assert "役割の切り替え" in page
    assert "treasury:kirishima" in page

    switched = client.post(reverse("switch_role"), {"role": "treasury:kirishima"})
    assert switched["Location"] == "/m/kirishima/treasury/"
    assert client.get(reverse("home"))["Location"] == "/m/kirishima/treasury/"


def test_logout_needs_post(client, tenant):
    client.force_login(tenant.treasury)
    client.get(reverse("account_logout"))
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_is_sent_in_japanese(
    client, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": tenant.treasury.email})
    (message,) = mail.outbox
    assert message.to == [tenant.treasury.email]
    assert message.subject.startswith("[請求書ポータル]")
    assert "/accounts/password/reset/key/" in message.body


def test_staff_can_enable_two_factor_authentication(client, tenant):
    from municipality.models import StaffRole
    from tests.factories import StaffMembershipFactory

    cache.clear()
    user = StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.CITY_ADMIN, two_factor=False
    ).user
    assert _login(client, user.email).status_code == 302

    # Changing security settings asks for the password once more.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    activation = client.get(reverse("mfa_activate_totp"))
    assert activation.status_code == 200
    secret = activation.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()

    client.post(reverse("account_logout"))
    cache.clear()  # allow the same 30-second code once more
    response = _login(client, user.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _totp(secret)})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == "/m/kanoya/manage/"


def test_header_names_the_role_of_the_page_being_viewed(client, tenant):
    client.force_login(tenant.city_admin)
    page = client.get(f"/m/kanoya/inbox/{tenant.department.code}/").content.decode()
    assert 'data-testid="current-role"' in page
    assert "自治体管理者" in page
    assert "全部署の請求書" in page


def test_csrf_failure_explains_what_to_do_in_japanese(tenant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("account_login"), {"login": tenant.treasury.email, "password": "x"}
    )
    assert response.status_code == 403
    assert "再読み込みしてからもう一度送信" in response.content.decode()


def test_account_pages_keep_the_role_being_acted_in(client, tenant):
    client.force_login(tenant.city_admin)
    client.get(reverse("home"))
    page = client.get(reverse("mfa_index")).content.decode()
    assert "自治体管理者" in page
    assert "全部署の請求書" in page
