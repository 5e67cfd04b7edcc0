"""The demo's platform and city administrators use two-factor
authentication with a published secret, so the demo stays usable."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.twofactor import totp_code
from demo.logins import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMINS = {
    "admin@example.jp",
    "kanoya-admin@example.jp",
    "kirishima-admin@example.jp",
    "multi@example.jp",
}


@pytest.fixture
def output():
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def test_demo_admins_get_the_published_secret_and_nobody_else(output):
    secrets = {
        a.user.email: decrypt(a.data["secret"])
        for a in Authenticator.objects.filter(type=Authenticator.Type.TOTP)
    }
    assert secrets == dict.fromkeys(ADMINS, DEMO_TOTP_SECRET)


def test_every_demo_address_is_verified(output):
    for login in DEMO_LOGINS:
        assert EmailAddress.objects.filter(
            email=login.email, verified=True, primary=True
        ).exists(), login.email


def test_seed_prints_the_secret_and_how_to_get_a_code(output):
    assert DEMO_TOTP_SECRET in output
    assert "make demo-totp" in output
    assert f"oathtool --totp -b {DEMO_TOTP_SECRET}" in output
    admin_line = next(line for line in output.splitlines() if "admin@" in line)
    assert "二段階認証" in admin_line


def test_demo_admin_logs_in_with_the_code_demo_totp_prints(client, output):
    out = StringIO()
    call_command("demo_totp", "kanoya-admin@example.jp", stdout=out)
    code = out.getvalue().strip()
    assert code == totp_code(DEMO_TOTP_SECRET)

    client.post(
        reverse("account_login"),
        {"login": "kanoya-admin@example.jp", "password": DEMO_PASSWORD},
    )
    client.post(reverse("mfa_authenticate"), {"code": code})

    assert client.get("/m/kanoya/manage/").status_code == 200


def test_demo_totp_refuses_a_user_without_the_demo_secret(output):
    with pytest.raises(CommandError, match="認証アプリ"):
        call_command("demo_totp", "kanoya-treasury@example.jp", stdout=StringIO())


def test_an_existing_admin_with_their_own_password_gets_no_published_secret():
    UserFactory(email="kanoya-admin@example.jp", two_factor=False)

    call_command("seed_demo", force=True, stdout=StringIO())

    assert not Authenticator.objects.filter(
        user__email="kanoya-admin@example.jp"
    ).exists()
