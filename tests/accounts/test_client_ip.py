"""Behind the TLS proxy of the production setup, rate limits count the
client's address (from X-Forwarded-For, as far as our own proxies vouch for
it), not the proxy's: one client cannot lock out everyone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from partners.models import InvitationRequest
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"
ATTACKER = "203.0.113.5"
NEIGHBOUR = "203.0.113.6"


def _login(client, email, password, *, forwarded_for):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def _lock_out(client, forwarded_for):
    # Ten wrong passwords a minute from one address, each for another
    # account, reach the per-IP limit (not the per-account one).
    for n in range(10):
        _login(client, f"guess{n}@example.jp", "wrong", forwarded_for=forwarded_for)


def test_locking_out_one_client_leaves_another_behind_the_same_proxy(
    client, settings, tenant
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _lock_out(client, ATTACKER)

    refused = _login(client, tenant.treasury.email, PASSWORD, forwarded_for=ATTACKER)
    assert "_auth_user_id" not in client.session
    assert "ログイン失敗が連続" in refused.content.decode()

    # The client's address comes last, after whatever the client claimed.
    response = _login(
        client,
        tenant.treasury.email,
        PASSWORD,
        forwarded_for=f"{ATTACKER}, {NEIGHBOUR}",
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_without_trusted_proxies_the_header_is_ignored(client, settings, tenant):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    _lock_out(client, ATTACKER)

    _login(client, tenant.treasury.email, PASSWORD, forwarded_for=NEIGHBOUR)

    assert "_auth_user_id" not in client.session


def _request(client, tenant, n, forwarded_for):
    return client.post(
        f"/p/{tenant.municipality.slug}/request/",
        {
            "company_name": f"株式会社テスト{n}",
            "company_name_kana": "かぶしきがいしゃてすと",
            "registration_number": "T7120001168421",
            "contact_name": "鹿屋 一郎",
            "email": f"request{n}@example.jp",
            "phone": "0994-12-3456",
            "departments": [tenant.department.pk],
            "message": "",
            "website": "",
        },
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_the_invitation_request_form_limits_the_client_not_the_proxy(
    client, settings, tenant
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        assert _request(client, tenant, n, ATTACKER).status_code == 302
    assert _request(client, tenant, 10, ATTACKER).status_code == 429

    assert _request(client, tenant, 11, NEIGHBOUR).status_code == 302
    with scopes_disabled():
        latest = InvitationRequest.objects.latest("pk")
    assert latest.remote_addr == NEIGHBOUR


def test_the_invitation_request_form_ignores_the_header_without_proxies(
    client, settings, tenant
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for n in range(10):
        _request(client, tenant, n, ATTACKER)

    assert _request(client, tenant, 10, NEIGHBOUR).status_code == 429


def _setting(module: str, **env) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings;"
            " print(settings.ALLAUTH_TRUSTED_PROXY_COUNT,"
            " settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": module,
            "SECRET_KEY": "k8#V2p!xQ9@zL4m$Rt7^wN1&yB6*cJ3(hF5)dS0_gE-uA+iO=pT~",
            "ALLOWED_HOSTS": "invoice.city.example.jp",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_trusts_one_proxy_unless_configured():
    production = "config.settings.production"
    assert _setting(production) == "1 None"
    configured = _setting(
        production,
        ALLAUTH_TRUSTED_PROXY_COUNT="2",
        ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP",
    )
    assert configured == "2 X-Real-IP"
    assert _setting("config.settings.local", ALLOWED_HOSTS="127.0.0.1") == "0 None"


def test_a_request_that_bypassed_a_proxy_is_counted_not_a_server_error(
    client, settings, tenant
):
    # Two proxies configured; a request with one entry did not pass both.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    for _ in range(10):
        response = _login(client, "guess@example.jp", "wrong", forwarded_for=ATTACKER)
        assert response.status_code == 200

    # Counted by the address that reached us (the proxy's), not dropped.
    _login(client, tenant.treasury.email, PASSWORD, forwarded_for=NEIGHBOUR)
    assert "_auth_user_id" not in client.session
