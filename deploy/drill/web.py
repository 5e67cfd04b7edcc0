"""Drill 1: a web process killed under load."""

import os
import re
import signal
import threading
import time
from collections import Counter

from django.db import close_old_connections
from django_scopes import scopes_disabled

from deploy.drill.client import Browser, Seen, Stats, invoice_flow
from deploy.drill.processes import log_offset, program_pid, proxy_lines, wait_running
from deploy.drill.world import CLIENTS, World
from invoices.audit_verify import chain_verify
from invoices.models import EventKind, Invoice, InvoiceStatus


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
