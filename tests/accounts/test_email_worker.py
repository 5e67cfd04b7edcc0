"""Mail goes through a real Celery worker when REDIS_URL is set (as in CI)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from config import celery_app

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


@pytest.fixture
def worker(tmp_path):
    """A real ``celery worker`` process on its own queue, writing mail to a
    folder the test can read."""
    queue = f"test-{uuid.uuid4().hex}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    env.pop("EMAIL_URL", None)
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    saved = {
        "task_always_eager": celery_app.conf.task_always_eager,
        "task_default_queue": celery_app.conf.task_default_queue,
    }
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    yield mail_dir, tmp_path / "worker.log"
    celery_app.conf.update(saved)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_password_reset_mail_is_delivered_by_the_worker(
    client, tenant, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_reset_password"), {"email": tenant.treasury.email}
        )
    assert response.status_code == 302

    mail_dir, worker_log = worker
    deadline = time.monotonic() + 60
    files = []
    while time.monotonic() < deadline and not files:
        files = list(mail_dir.glob("*.log")) if mail_dir.exists() else []
        time.sleep(0.2)
    assert files, f"no mail within 60 s; worker said:\n{worker_log.read_text()}"
    text = files[0].read_text()
    assert f"To: {tenant.treasury.email}" in text
    assert "/accounts/password/reset/key/" in text
