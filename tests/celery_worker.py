"""A real ``celery worker`` process for the tests that need one (REDIS_URL
set, as in CI): on its own queue, on the test database when it is
PostgreSQL, with mail written to a folder the test reads."""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from config import celery_app

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Worker:
    mail_dir: Path
    log: Path
    queue: str = ""
    pid: int = 0

    def children(self) -> list[int]:
        """Pool processes (prefork) of this worker."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:  # the parent's pid
                found.append(int(stat.parent.name))
        return found

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once, as the kernel's OOM
        killer or a lost machine would: nothing is given back to Redis."""
        for pid in [*self.children(), self.pid]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


def _database_url() -> str | None:
    """The test database, for a worker that must read what the test wrote."""
    if connection.vendor != "postgresql":
        return None
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextmanager
def running_worker(
    tmp_path: Path,
    pool: str = "solo",
    *,
    queue: str = "",
    env: dict[str, str] | None = None,
    name: str = "worker",
):
    """A worker on ``queue`` (a new one unless given: a second worker after a
    killed one takes over its queue), with ``env`` added to its
    environment; its log is ``<name>.log``."""
    queue = queue or f"test-{uuid.uuid4().hex}"
    worker = Worker(
        mail_dir=tmp_path / "mail", log=tmp_path / f"{name}.log", queue=queue
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "EMAIL_FILE_PATH": str(worker.mail_dir),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(env or {}),
    }
    env.pop("EMAIL_URL", None)
    if url := _database_url():
        env["DATABASE_URL"] = url
    with worker.log.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                f"--pool={pool}", "--concurrency=1", "--without-heartbeat",
                "--without-gossip", "--without-mingle", "-Q", queue,
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker.pid = process.pid
        saved = {
            "task_always_eager": celery_app.conf.task_always_eager,
            "task_default_queue": celery_app.conf.task_default_queue,
        }
        celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
        try:
            yield worker
        finally:
            celery_app.conf.update(saved)
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def broker(url: str):
    """Tasks queued by the test process go to the broker at ``url`` (a
    Redis server of the test's own) until the block ends."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    # The producer pools are made on first use for the configured broker.
    celery_app.amqp._producer_pool = None
    celery_app._pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved
        celery_app.amqp._producer_pool = None
        celery_app._pool = None
