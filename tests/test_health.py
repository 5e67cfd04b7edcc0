"""/healthz and /readyz for load balancers (config.health), and request ids
in responses and log lines (config.request_ids)."""

import logging
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse

from config.request_ids import RequestIdFilter
from tests.test_settings import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_login_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_checks_database_redis_and_storage(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert sorted(body["checks"]) == ["database", "redis", "storage"]
    assert all(check["ok"] for check in body["checks"].values())
    # The probe file is not left behind.
    assert not list((tmp_path / "healthcheck").iterdir())


def test_readiness_is_503_when_storage_cannot_be_written(client, settings, tmp_path):
    # A folder that cannot be made: a file stands where it should be.
    (tmp_path / "file").write_text("x")
    settings.MEDIA_ROOT = tmp_path / "file" / "media"

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"] == {"ok": False, "error": "NotADirectoryError"}
    assert body["checks"]["database"]["ok"]


def test_readiness_is_503_when_redis_does_not_answer(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "ok": False,
        "error": "ConnectionError",
    }


def test_health_endpoints_answer_get_only(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) == 32
    assert first != second


def test_the_proxys_request_id_is_kept_and_a_forged_one_replaced(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="3f2a-proxy.id_1")
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\nINFO fake line")

    assert given["X-Request-ID"] == "3f2a-proxy.id_1"
    assert "\n" not in forged["X-Request-ID"]
    assert len(forged["X-Request-ID"]) == 32


def test_log_lines_written_during_a_request_name_its_id(client, settings, tmp_path):
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("config.health")
    logger.addHandler(handler)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.MEDIA_ROOT = tmp_path
    try:
        client.get("/readyz", HTTP_X_REQUEST_ID="req-42")
    finally:
        logger.removeHandler(handler)
    logging.getLogger("config.health").warning("outside any request")

    assert [r.request_id for r in records] == ["req-42"]


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[])
def test_without_the_exemption_plain_http_is_redirected(client):
    # What the production settings' exemption is for (next test).
    assert client.get("/readyz").status_code == 301


def test_production_exempts_health_checks_from_the_https_redirect():
    code = (
        "from django.conf import settings; import re; "
        "print(all(any(re.search(p, u) for p in settings.SECURE_REDIRECT_EXEMPT) "
        "for u in ('healthz', 'readyz')), settings.SECURE_SSL_REDIRECT, "
        "settings.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=PRODUCTION_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True"]
