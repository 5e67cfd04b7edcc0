"""Fault drills against the running production topology (``make drill``;
README, "Drills"). Run by ``deploy/prod.sh drill`` (``python deploy/drill``)
with the topology's environment, so that it checks the very database the
processes use.

- ``web``: 16 clients issue and approve invoices through nginx (HTTPS, as a
  browser: login, CSRF, confirmation step) while one gunicorn process and
  its workers are killed with SIGKILL. No client may see a 5xx or a broken
  connection; afterwards every invoice a client saw confirmed exists once,
  issued once and approved once, no invoice exists that no client saw, and
  the audit chain verifies.
- ``postgres``: PostgreSQL is restarted (``pg_ctlcluster … restart``) while
  probes run. ``/readyz`` must say 503 while it is down and 200 again
  after; the web processes (same pids, no restart by supervisord) and the
  workers then serve whole invoice flows without an error.

Prints a report and exits 1 when a drill failed.

The package's modules: ``world`` (the drill's municipality, supplier and
users), ``client`` (a browser-like HTTPS client and one invoice's flow),
``processes`` (supervisord, nginx's log, the PostgreSQL cluster), and one
module per drill.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# The project instead of this folder: the drill's modules are deploy.drill.*
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from django.db import close_old_connections

from deploy.drill.postgres import drill_postgres
from deploy.drill.web import drill_web
from deploy.drill.world import world_ensure

DRILLS = {"web": drill_web, "postgres": drill_postgres}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", choices=sorted(DRILLS), default=["web"])
    parser.add_argument("--site", required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--supervisor-conf", required=True)
    parser.add_argument("--log-dir", type=Path, required=True)
    parser.add_argument("--warmup", type=float, default=120, help="seconds at most")
    parser.add_argument(
        "--after", type=float, default=20, help="seconds of load after the restart"
    )
    parser.add_argument("--pdf-wait", type=int, default=120)
    args = parser.parse_args()

    world = world_ensure()
    close_old_connections()
    report = [f"障害訓練 {time.strftime('%Y-%m-%d %H:%M:%S')} {args.site}"]
    results = {}
    for name in args.drills:
        try:
            results[name] = DRILLS[name](args, world, report)
        except Exception as error:  # the report says what broke
            report.append(f"  中断: {error!r}")
            results[name] = False
    report.append(
        "総合: "
        + ", ".join(
            f"{name} {'合格' if ok else '不合格'}" for name, ok in results.items()
        )
    )
    print("\n".join(report))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
