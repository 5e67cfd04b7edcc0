"""A Celery worker knows every task it can be sent: those in the beat
schedule and those of every ``tasks`` module, the treasury's included
(a package inside municipality, not an app: config/celery_app.py names it).
Checked in a fresh process, as ``celery -A config worker`` starts, so that
imports made by the tests themselves cannot hide a missing one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts",
    "municipality",
    "partners",
    "invoices",
    "peppol",
    "procurement",
)


@pytest.fixture(scope="module")
def worker_tasks() -> set[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config import celery_app;"
            " celery_app.loader.import_default_modules();"
            " print('\\n'.join(sorted(celery_app.tasks)))",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "name", sorted(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())
)
def test_every_scheduled_task_is_registered(worker_tasks, name):
    assert name in worker_tasks


def _tasks_modules() -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for app in APPS
        for path in (ROOT / app).rglob("tasks.py")
    )


@pytest.mark.parametrize("module", _tasks_modules())
def test_every_tasks_module_is_discovered(worker_tasks, module):
    assert any(name.startswith(f"{module}.") for name in worker_tasks)
