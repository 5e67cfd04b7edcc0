"""The department inbox under load: gunicorn and concurrent logged-in clients.

Starts gunicorn on the benchmark settings (``2 × CPUs`` sync workers,
the application preloaded), logs
``clients`` department staff members in (sessions made server-side with
Django's own login, so each client sends a real session cookie), and has
each client request its inbox over and over, one request at a time, for
``seconds``; then stops gunicorn. A client is a thread of this process
using the standard library's HTTP client.
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.test import Client
from django_scopes import scopes_disabled

from municipality.models import Municipality, StaffMembership, StaffRole

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    url: str
    workers: int
    clients: int
    seconds: int
    requests: int
    errors: int
    requests_per_second: float
    median_ms: float
    p95_ms: float
    max_ms: float
    first_error: str

    def as_dict(self) -> dict:
        return asdict(self)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sessions(count: int) -> tuple[str, list[str]]:
    """The inbox URL and ``count`` session cookies of the staff of the
    busiest municipality's busiest departments (one client each, reused
    round the departments when there are fewer)."""
    with scopes_disabled():
        municipality = Municipality.objects.annotate(n=Count("invoices")).latest("n")
        staff = list(
            StaffMembership.objects.filter(
                municipality=municipality, role=StaffRole.DEPARTMENT
            )
            .annotate(n=Count("departments__invoices"))
            .order_by("-n")
            .select_related("user")[:count]
        )
    cookies = []
    for i in range(count):
        client = Client()
        client.force_login(staff[i % len(staff)].user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return f"/m/{municipality.slug}/inbox/", cookies


def _wait_ready(port: int, url: str, cookie: str, server) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting")
        try:
            status, _ = _get(port, url, cookie)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer within 180 s")


def _get(port: int, url: str, cookie: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "GET",
            url,
            headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
        )
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        conn.close()


def load_run(*, clients: int = 16, seconds: int = 60, log=print) -> LoadResult:
    url, cookies = _sessions(clients)
    port = _free_port()
    workers = 2 * (os.cpu_count() or 1)
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            # Django is imported once, before the workers fork.
            "--preload",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"},
    )
    try:
        _wait_ready(port, url, cookies[0], server)
        log(f"load: {clients} clients on {url} for {seconds} s ({workers} workers)")
        times: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client(cookie: str) -> None:
            while time.monotonic() < deadline:
                try:
                    status, ms = _get(port, url, cookie)
                    problem = "" if status == 200 else f"HTTP {status}"
                except OSError as error:
                    status, ms, problem = 0, 0.0, repr(error)
                with lock:
                    if problem:
                        errors.append(problem)
                    else:
                        times.append(ms)

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(c,)) for c in cookies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    ordered = sorted(times) or [0.0]
    return LoadResult(
        url=url,
        workers=workers,
        clients=clients,
        seconds=seconds,
        requests=len(times) + len(errors),
        errors=len(errors),
        requests_per_second=round((len(times) + len(errors)) / elapsed, 1),
        median_ms=round(statistics.median(ordered), 1),
        p95_ms=round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        max_ms=round(ordered[-1], 1),
        first_error=errors[0] if errors else "",
    )
