import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config import celery_app

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k8#V2p!xQ9@zL4m$Rt7^wN1&yB6*cJ3(hF5)dS0_gE-uA+iO=pT~",
    "ALLOWED_HOSTS": "invoice.city.example.jp",
    "PATH": os.environ["PATH"],
}


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="DATABASE_URL does not point at PostgreSQL",
)
def test_suite_runs_on_postgresql_when_database_url_is_set():
    assert connection.vendor == "postgresql"


def test_default_database_is_sqlite_without_database_url():
    result = _manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
        },
    )
    assert result.stdout.strip().splitlines()[-1] == "sqlite", result.stderr


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_tasks_run_eagerly_without_redis():
    result = _manage(
        "shell",
        "-c",
        "from config import celery_app; print(celery_app.conf.task_always_eager)",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
        },
    )
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


def test_redis_url_switches_to_a_real_broker():
    result = _manage(
        "shell",
        "-c",
        "from config import celery_app; c = celery_app.conf;"
        " print(c.task_always_eager, c.broker_url)",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "REDIS_URL": "redis://127.0.0.1:6379/5",
        },
    )
    assert result.stdout.strip().splitlines()[-1] == "False redis://127.0.0.1:6379/5"


def test_celery_app_reads_django_settings():
    assert celery_app.conf.task_serializer == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
