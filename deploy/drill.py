"""Fault drills against the running production topology (``make drill``;
README, "Drills"). Run by ``deploy/prod.sh drill`` with the topology's
environment, so that it checks the very database the processes use.

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
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import User
from accounts.services import user_email_set_verified
from invoices.audit_verify import chain_verify
from invoices.models import EventKind, Invoice, InvoicePdf, InvoiceStatus, PdfStatus
from municipality.models import (
    Department,
    Municipality,
    StaffMembership,
    StaffRole,
)
from municipality.validators import corporate_check_digit
from partners.models import (
    Connection,
    Supplier,
    SupplierMembership,
    SupplierRole,
)

CLIENTS = 16
SLUG = "drill"
TIMEOUT = 180  # seconds for one request on a busy machine
NUMBER_TAKEN = "この請求書番号はすでに使われています"
ISSUED_TEXTS = ("請求書を発行しました", "すでに発行されています")
APPROVED_TEXTS = ("請求書を承認しました", "画面を更新して状態を確認してください")
INVOICE_PATH = re.compile(r"/supplier/invoices/(\d+)/$")


def _corporate_number(n: int) -> str:
    body = f"{n:012d}"
    return f"{corporate_check_digit(body)}{body}"


# The drill's world -------------------------------------------------------


@dataclass
class World:
    municipality: Municipality
    connection: Connection
    suppliers: list[str]  # login addresses
    staff: list[str]
    password: str


def world_ensure() -> World:
    """A municipality, a department, a supplier trading with it, and
    CLIENTS users on each side; a fresh random password every run."""
    password = secrets.token_urlsafe(16)
    with scopes_disabled():
        municipality, _ = Municipality.objects.get_or_create(
            slug=SLUG,
            defaults={
                "name": "訓練市",
                "name_kana": "クンレンシ",
                "local_government_code": "999997",
                "corporate_number": _corporate_number(999997),
                "address": "訓練県訓練市1番地",
            },
        )
        department, _ = Department.objects.get_or_create(
            municipality=municipality, code="001", defaults={"name": "訓練課"}
        )
        supplier, _ = Supplier.objects.get_or_create(
            registration_number=f"T{_corporate_number(999998)}",
            defaults={
                "legal_name": "株式会社訓練商事",
                "name_kana": "カブシキガイシヤクンレンシヨウジ",
                "address": "訓練県訓練市2番地",
            },
        )
        link, _ = Connection.objects.get_or_create(
            supplier=supplier,
            department=department,
            defaults={"municipality": municipality, "payee_code": "DRILL01"},
        )
        suppliers, staff = [], []
        for i in range(CLIENTS):
            user = _user(f"drill-supplier-{i:02d}@example.jp", password)
            SupplierMembership.objects.get_or_create(
                user=user, supplier=supplier, defaults={"role": SupplierRole.OWNER}
            )
            suppliers.append(user.email)
            user = _user(f"drill-staff-{i:02d}@example.jp", password)
            membership, _ = StaffMembership.objects.get_or_create(
                user=user,
                municipality=municipality,
                defaults={"role": StaffRole.DEPARTMENT},
            )
            membership.departments.add(department)
            staff.append(user.email)
    return World(municipality, link, suppliers, staff, password)


def _user(email: str, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, name="訓練 利用者")
    user.set_password(password)
    user.save()
    user_email_set_verified(user=user)
    return user


# A browser-like client ---------------------------------------------------


@dataclass
class Result:
    method: str
    path: str
    status: int  # 0: no HTTP answer (connection broken, timeout)
    seconds: float
    request_id: str = ""
    error: str = ""


@dataclass
class Stats:
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)

    def failures(self, since: float = 0, until: float = float("inf")) -> list:
        return [
            r
            for r in self.results
            if (r.status == 0 or r.status >= 500) and since <= r.seconds <= until
        ]


class Browser:
    """One session through the proxy: cookies, CSRF, Referer, redirects."""

    def __init__(self, site: str, cafile: str, stats: Stats, started: float):
        self.site = site.rstrip("/")
        self.stats = stats
        self.started = started
        self.jar = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=cafile)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=context),
        )

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, method: str, path: str, data: dict | None = None):
        """(status, final path, text); status 0 when no answer came."""
        body = None
        headers = {"Referer": self.site + path}
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.csrf()}
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.site + path, data=body, method=method, headers=headers
        )
        began = time.monotonic()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                text = response.read().decode()
                status, final = response.status, response.url
                request_id = response.headers.get("X-Request-ID", "")
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            status, final = error.code, error.url
            request_id = error.headers.get("X-Request-ID", "")
        except OSError as error:  # refused, reset, timed out
            self.stats.add(
                Result(method, path, 0, began - self.started, error=repr(error))
            )
            return 0, path, ""
        self.stats.add(Result(method, path, status, began - self.started, request_id))
        return status, urllib.parse.urlsplit(final).path, text

    def login(self, email: str, password: str) -> None:
        _login_turn()
        self.request("GET", "/accounts/login/")
        status, final, _ = self.request(
            "POST", "/accounts/login/", {"login": email, "password": password}
        )
        if status != 200 or final.startswith("/accounts/login"):
            raise RuntimeError(f"login failed for {email}: {status} {final}")


# allauth lets one address log in 30 times a minute, and every client of the
# drill comes from the proxy's loopback address: logins are spaced out.
LOGIN_SPACING = 2.5  # seconds: at most 24 a minute
_login_lock = threading.Lock()
_last_login = [0.0]


def _login_turn() -> None:
    with _login_lock:
        wait = _last_login[0] + LOGIN_SPACING - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_login[0] = time.monotonic()


# Drill 1: a web process killed under load --------------------------------


@dataclass
class Seen:
    """What one client saw confirmed, by invoice number."""

    created: dict[str, int] = field(default_factory=dict)
    issued: set[int] = field(default_factory=set)
    approved: set[int] = field(default_factory=set)
    recovered: int = 0  # a retried create found its number taken
    problems: list[str] = field(default_factory=list)


def invoice_flow(supplier: Browser, staff: Browser, world: World, number: str, seen):
    """Create, issue and approve one invoice as people do; record what the
    pages confirmed. Returns False when a step did not get an answer."""
    today = timezone.localdate().isoformat()
    form = {
        "connection": world.connection.pk,
        "number": number,
        "issue_date": today,
        "transaction_date": today,
        "transaction_end_date": "",
        "due_date": "",
        "subject": "訓練用の請求",
        "notes": "",
        "price_basis": "exclusive",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "コピー用紙 A4",
        "lines-0-quantity": "2",
        "lines-0-unit": "箱",
        "lines-0-unit_price": "450",
        "lines-0-tax_category": "S",
        "lines-0-ORDER": "1",
    }
    supplier.request("GET", "/supplier/invoices/new/")
    status, final, text = supplier.request("POST", "/supplier/invoices/new/", form)
    if status == 0 or status >= 500:
        return False
    if match := INVOICE_PATH.search(final):
        pk = int(match.group(1))
    elif NUMBER_TAKEN in text:
        # The proxy re-sent the POST after the first process died having
        # saved it: the number is refused; the supplier finds the draft.
        with scopes_disabled():
            pk = Invoice.objects.get(
                supplier=world.connection.supplier, number=number
            ).pk
        close_old_connections()
        seen.recovered += 1
    else:
        seen.problems.append(f"{number}: create answered {status} at {final}")
        return True
    seen.created[number] = pk

    status, final, text = supplier.request(
        "POST", f"/supplier/invoices/{pk}/issue/", {"confirmed": "1"}
    )
    if status == 0 or status >= 500:
        return False
    if not any(t in text for t in ISSUED_TEXTS):
        seen.problems.append(f"{number}: issue not confirmed ({status} {final})")
        return True
    seen.issued.add(pk)

    city = f"/m/{world.municipality.slug}/invoices/{pk}/"
    staff.request("GET", city)
    status, final, text = staff.request(
        "POST", city + "approve/", {"inspection_date": today, "confirmed": "1"}
    )
    if status == 0 or status >= 500:
        return False
    if not any(t in text for t in APPROVED_TEXTS):
        seen.problems.append(f"{number}: approve not confirmed ({status} {final})")
        return True
    seen.approved.add(pk)
    return True


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


def drill_web(args, world: World, report: list[str]) -> bool:
    report.append("■ 訓練1: 負荷中に gunicorn プロセスを SIGKILL")
    run = time.strftime("%H%M%S")
    stats = Stats()
    started = time.monotonic()
    offset = log_offset(args.log_dir)
    stop = threading.Event()
    seen = [Seen() for _ in range(CLIENTS)]
    broken = []

    def client(i: int) -> None:
        try:
            supplier = Browser(args.site, args.cafile, stats, started)
            supplier.login(world.suppliers[i], world.password)
            staff = Browser(args.site, args.cafile, stats, started)
            staff.login(world.staff[i], world.password)
            n = 0
            while not stop.is_set():
                n += 1
                number = f"D{run}-{i:02d}-{n:03d}"
                invoice_flow(supplier, staff, world, number, seen[i])
        except Exception as error:  # reported; fails the drill
            broken.append(f"client {i}: {error!r}")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()

    # Kill once the load is on: every client has confirmed an invoice.
    deadline = time.monotonic() + args.warmup
    while time.monotonic() < deadline and not all(s.approved for s in seen):
        time.sleep(1)
    victim = "web-1"
    pid = program_pid(args.supervisor_conf, victim)
    killed_at = time.monotonic() - started
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    back_after = wait_running(args.supervisor_conf, victim, pid, 120)
    # Keep the load on until the restarted process has served requests.
    time.sleep(args.after)
    stop.set()
    for thread in threads:
        thread.join()
    ended = time.monotonic() - started

    lines = proxy_lines(args.log_dir, offset)
    retried = [line for line in lines if re.search(r'us="[^"]*,', line)]
    statuses = Counter(r.status for r in stats.results)
    failures = stats.failures()

    # What every client saw confirmed, checked in the database.
    created = {n: pk for s in seen for n, pk in s.created.items()}
    issued = set().union(*(s.issued for s in seen))
    approved = set().union(*(s.approved for s in seen))
    problems = [p for s in seen for p in s.problems] + broken
    with scopes_disabled():
        drill_invoices = Invoice.objects.filter(number__startswith=f"D{run}-")
        in_db = dict(drill_invoices.values_list("number", "pk"))
        for number, pk in created.items():
            if in_db.get(number) != pk:
                problems.append(
                    f"{number}: confirmed as {pk}, database has {in_db.get(number)}"
                )
        unseen = sorted(set(in_db) - set(created))
        for pk in issued:
            invoice = Invoice.objects.get(pk=pk)
            kinds = Counter(invoice.events.values_list("kind", flat=True))
            if kinds[EventKind.ISSUED] != 1:
                problems.append(
                    f"{invoice.number}: {kinds[EventKind.ISSUED]} issue events"
                )
            if pk in approved and (
                kinds[EventKind.APPROVED] != 1
                or invoice.status != InvoiceStatus.APPROVED
            ):
                problems.append(
                    f"{invoice.number}: {kinds[EventKind.APPROVED]} approval events, "
                    f"status {invoice.status}"
                )
        chain = chain_verify()
    close_old_connections()

    recovered = sum(s.recovered for s in seen)
    report += [
        f"  クライアント {CLIENTS}、所要 {ended:.0f} 秒、"
        f"{killed_at:.0f} 秒後に {victim}（pid {pid} とそのワーカー）を SIGKILL、"
        f"supervisord が {back_after:.1f} 秒で再起動",
        f"  リクエスト {len(stats.results)} 件: "
        + ", ".join(f"{k or '応答なし'}: {v}" for k, v in sorted(statuses.items())),
        f"  クライアントに見えた 5xx・切断: {len(failures)} 件",
        *(f"    {r.method} {r.path} → {r.status or r.error}" for r in failures[:10]),
        f"  プロキシが別のプロセスに送り直したリクエスト: {len(retried)} 件",
        *(f"    {line}" for line in retried[:5]),
        f"  確認済みの請求書: 作成 {len(created)}、発行 {len(issued)}、"
        f"承認 {len(approved)}（送り直しで番号重複と答えられ、"
        f"既存の下書きを使ったもの {recovered}）",
        f"  クライアントが確認していない請求書: {len(unseen)} 件 {unseen[:5]}",
        f"  食い違い: {len(problems)} 件",
        *(f"    {p}" for p in problems[:10]),
        "  監査チェーン: " + ("検証OK" if chain is None else f"失敗 {chain.message}"),
    ]
    ok = (
        not failures
        and not problems
        and not unseen
        and chain is None
        and len(approved) >= CLIENTS
    )
    report.append(f"  結果: {'合格' if ok else '不合格'}")
    return ok


# Drill 2: PostgreSQL restarted -------------------------------------------


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


def drill_postgres(args, world: World, report: list[str]) -> bool:
    report.append("■ 訓練2: PostgreSQL の再起動")
    conf = args.supervisor_conf
    programs = ["web-1", "web-2", "worker-1", "worker-2", "beat"]
    pids = {name: program_pid(conf, name) for name in programs}
    stats = Stats()
    started = time.monotonic()
    probe = Browser(args.site, args.cafile, stats, started)
    readiness = []  # (seconds, status)
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            status, _, _ = probe.request("GET", "/readyz")
            readiness.append((time.monotonic() - started, status))
            time.sleep(0.5)

    # Every process holds connections before the restart.
    warm = [Browser(args.site, args.cafile, stats, started) for _ in range(2)]
    warm[0].login(world.suppliers[0], world.password)
    warm[1].login(world.staff[0], world.password)
    run = time.strftime("%H%M%S")
    before = Seen()
    invoice_flow(warm[0], warm[1], world, f"P{run}-00-000", before)

    poller = threading.Thread(target=poll)
    poller.start()
    connection.close()
    command = postgres_restart_command()
    restarted_at = time.monotonic() - started
    subprocess.run(command, check=True)
    restart_took = time.monotonic() - started - restarted_at
    # Ready again?
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            readiness
            and readiness[-1][0] > restarted_at + restart_took
            and (readiness[-1][1] == 200)
        ):
            break
        time.sleep(0.5)
    stop.set()
    poller.join()
    ready_again = next(
        (
            s
            for s, status in readiness
            if s > restarted_at + restart_took and status == 200
        ),
        None,
    )
    saw_503 = any(status == 503 for _, status in readiness)

    # Whole flows after the restart, on the sessions from before it (the
    # web processes' connections are stale) and by four more clients.
    after_started = time.monotonic() - started
    seen = [Seen() for _ in range(4)]
    answered = [invoice_flow(warm[0], warm[1], world, f"P{run}-00-001", seen[0])]

    def client(i: int) -> None:
        supplier = Browser(args.site, args.cafile, stats, started)
        supplier.login(world.suppliers[i], world.password)
        staff = Browser(args.site, args.cafile, stats, started)
        staff.login(world.staff[i], world.password)
        number = f"P{run}-{i:02d}-001"
        answered.append(invoice_flow(supplier, staff, world, number, seen[i]))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(1, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures_after = stats.failures(since=after_started)
    approved = set().union(*(s.approved for s in seen))
    problems = [p for s in seen for p in s.problems]

    # The workers too: the PDFs of the invoices issued after the restart.
    deadline = time.monotonic() + args.pdf_wait
    with scopes_disabled():
        while time.monotonic() < deadline:
            ready = InvoicePdf.objects.filter(
                invoice_id__in=approved, status=PdfStatus.READY
            ).count()
            missing = len(approved) - ready
            if not missing:
                break
            time.sleep(2)
        chain = chain_verify()
    close_old_connections()
    pids_after = {name: program_pid(conf, name) for name in programs}
    restarted = [name for name in programs if pids_after[name] != pids[name]]

    report += [
        f"  {' '.join(command)}: {restart_took:.1f} 秒",
        f"  /readyz: 停止中に 503 {'あり' if saw_503 else 'なし'}、"
        + (
            f"再起動の {ready_again - restarted_at - restart_took:.1f} 秒後に 200"
            if ready_again is not None
            else "200 に戻らず"
        ),
        "  再起動中の応答: "
        + ", ".join(
            f"{k or '応答なし'}: {v}"
            for k, v in sorted(Counter(s for _, s in readiness).items())
        ),
        f"  再起動後の請求書の流れ: {len(answered)} 件中 承認まで {len(approved)} 件、"
        f"5xx・切断 {len(failures_after)} 件",
        *(
            f"    {r.method} {r.path} → {r.status or r.error}"
            for r in failures_after[:10]
        ),
        *(f"    {p}" for p in problems[:10]),
        f"  PDF 未作成（{args.pdf_wait} 秒待って）: {missing} 件",
        "  再起動されたプロセス: "
        + (", ".join(restarted) or "なし（同じ pid のまま）"),
        "  監査チェーン: " + ("検証OK" if chain is None else f"失敗 {chain.message}"),
    ]
    # A 503 is seen only if a probe falls into the restart's few seconds:
    # reported, not required (tests/test_health.py covers the 503).
    ok = (
        ready_again is not None
        and not failures_after
        and not problems
        and len(approved) == 4
        and not missing
        and not restarted
        and chain is None
    )
    report.append(f"  結果: {'合格' if ok else '不合格'}")
    return ok


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
