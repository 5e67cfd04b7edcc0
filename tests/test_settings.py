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


def _local_print(expression: str, **env) -> str:
    """What ``expression`` evaluates to under the local settings, in a fresh
    process whose environment holds only ``env``."""
    result = _manage(
        "shell",
        "-c",
        f"from config import celery_app; from django.db import connection;"
        f" print({expression})",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            **env,
        },
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_default_database_is_sqlite_without_database_url():
    assert _local_print("connection.vendor") == "sqlite"


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
    assert _local_print("celery_app.conf.task_always_eager") == "True"


def test_redis_url_switches_to_a_real_broker():
    printed = _local_print(
        "celery_app.conf.task_always_eager, celery_app.conf.broker_url",
        REDIS_URL="redis://127.0.0.1:6379/5",
    )
    assert printed == "False redis://127.0.0.1:6379/5"


def test_celery_app_reads_django_settings():
    assert celery_app.conf.task_serializer == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]


def test_manage_py_without_a_settings_module_runs_production_settings():
    """A server where DJANGO_SETTINGS_MODULE was forgotten must not run the
    development settings (debug on, a published secret): it gets the
    production ones, which refuse to start without a SECRET_KEY."""
    result = _manage("check", env={"PATH": os.environ["PATH"]})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("host", ["invoice.city.example.jp", "*", "192.0.2.10"])
def test_local_settings_refuse_a_host_beyond_this_machine(host):
    result = _manage(
        "check",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "ALLOWED_HOSTS": f"localhost,{host}",
        },
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"ALLOWED_HOSTS names {host}" in result.stderr


def test_local_settings_run_with_loopback_hosts():
    result = _manage(
        "check",
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,[::1],127.0.0.2,app.localhost",
        },
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "entry_point",
    [
        "import config.wsgi",
        "import config.asgi",
        "from config import celery_app; celery_app.loader.import_default_modules()",
    ],
)
def test_servers_and_workers_without_a_settings_module_run_production_settings(
    entry_point,
):
    """gunicorn (config.wsgi), an ASGI server (config.asgi) and
    ``celery -A config`` on a machine without DJANGO_SETTINGS_MODULE: the
    production settings, which refuse to start without a SECRET_KEY (the
    ``config`` package imports the Celery app first, so its default counts)."""
    result = subprocess.run(
        [sys.executable, "-c", entry_point],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr
