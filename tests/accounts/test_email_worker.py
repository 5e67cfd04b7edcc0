"""Mail goes through a real Celery worker when REDIS_URL is set (as in CI)."""

import os
import time

import pytest
from django.db import connection as db_connection
from django.urls import reverse

from tests.celery_worker import running_worker

pytestmark = [
    pytest.mark.worker,
    # The worker reads the stored mail, so the test's writes must be committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


@pytest.fixture
def worker(tmp_path):
    with running_worker(tmp_path) as worker:
        yield worker


def test_password_reset_mail_is_delivered_by_the_worker(client, tenant, worker):
    if db_connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on PostgreSQL")
    response = client.post(
        reverse("account_reset_password"), {"email": tenant.treasury.email}
    )
    assert response.status_code == 302

    mail_dir = worker.mail_dir
    deadline = time.monotonic() + 60
    files = []
    while time.monotonic() < deadline and not files:
        files = list(mail_dir.glob("*.log")) if mail_dir.exists() else []
        time.sleep(0.2)
    assert files, f"no mail within 60 s; worker said:\n{worker.output()}"
    text = files[0].read_text()
    assert f"To: {tenant.treasury.email}" in text
    assert "/accounts/password/reset/key/" in text
