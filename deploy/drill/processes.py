"""The topology's processes as the drills see them: supervisord's programs,
nginx's access log, the PostgreSQL cluster."""

import subprocess
import time
from pathlib import Path

from django.conf import settings


def supervisor(conf: str, *args: str) -> str:
    return subprocess.run(
        ["supervisorctl", "-c", conf, *args],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def program_pid(conf: str, name: str) -> int:
    out = supervisor(conf, "pid", name)
    return int(out) if out.isdigit() else 0


def wait_running(conf: str, name: str, other_than: int, limit: float) -> float:
    """Seconds until supervisord has ``name`` running again with a new pid."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        pid = program_pid(conf, name)
        if pid and pid != other_than and "RUNNING" in supervisor(conf, "status", name):
            return time.monotonic() - began
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not come back within {limit:.0f} s")


def log_offset(log_dir: Path) -> int:
    path = log_dir / "nginx-access.log"
    return path.stat().st_size if path.exists() else 0


def proxy_lines(log_dir: Path, offset: int) -> list[str]:
    with (log_dir / "nginx-access.log").open() as log:
        log.seek(offset)
        return log.read().splitlines()


def postgres_restart_command() -> list[str]:
    """pg_ctlcluster for the cluster that serves DATABASE_URL's port."""
    port = str(settings.DATABASES["default"].get("PORT") or 5432)
    for line in subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
    ).stdout.splitlines():
        version, cluster, cluster_port, *_ = line.split()
        if cluster_port == port:
            command = ["pg_ctlcluster"]
            if not Path("/run/systemd/system").exists():
                command.append("--skip-systemctl-redirect")
            return [*command, version, cluster, "restart"]
    raise RuntimeError(f"no PostgreSQL cluster on port {port}")
