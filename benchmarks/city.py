"""City-scale benchmark: ``make bench`` (``python benchmarks/city.py``).

Seeds the benchmark database (``BENCH_DATABASE_URL``) with ``--size``
invoices unless it already holds a finished seeding of that size
(``--reseed`` forces it), then measures every list and search page
(``benchmarks.pages``) and the department inbox under load through
gunicorn (``benchmarks.load``), and prints one table. ``--json`` prints
the figures as JSON instead; ``--results FILE`` writes them as Markdown
with the date, the machine and the commit (``make bench`` writes
``benchmarks/RESULTS.md`` at the full size).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"

import django

django.setup()

from benchmarks.database import (
    database_migrate,
    database_seed,
    database_seed_procurement,
    procurement_seeded,
    row_counts,
    seed_seconds,
    seeded_size,
)
from benchmarks.report import figures_load_average, results_markdown, table_text


def procurement_log(report, log) -> None:
    log(
        f"procurement: {report.orders:,} orders, {report.lines:,} lines, "
        f"{report.deliveries:,} deliveries, {report.links:,} invoices linked, "
        f"{report.budget_codes:,} budget codes in {report.seconds:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--only",
        default="",
        help="measure only the pages whose name contains one of these (a,b)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--results", type=Path)
    parser.add_argument("--note", default="", help="a paragraph for --results")
    args = parser.parse_args()
    log = (lambda text: print(text, file=sys.stderr)) if args.json else print

    if args.reseed or seeded_size() != args.size:
        report = database_seed(size=args.size, log=log)
        log(
            f"seeded {report.invoices:,} invoices, {report.lines:,} lines, "
            f"{report.events:,} events, {report.batches:,} batches, "
            f"{report.notices:,} payment notices in {report.seconds:.0f} s"
        )
        if report.procurement:
            procurement_log(report.procurement, log)
    elif not procurement_seeded():
        log(f"the benchmark database holds {args.size:,} invoices; adding procurement")
        procurement_log(database_seed_procurement(log=log), log)
    else:
        log(f"the benchmark database already holds {args.size:,} invoices")
        # Code newer than the seeding may bring indexes: build them first.
        database_migrate(log=log)
    if args.seed_only:
        return
    figures = {
        "size": args.size,
        "seed_seconds": seed_seconds(),
        "counts": row_counts(),
        "runs": args.runs,
        "load_average": figures_load_average(),
        "pages": [],
    }
    if not args.no_pages:
        from benchmarks.pages import pages_measure

        started = time.perf_counter()
        figures["pages"] = [
            row.as_dict()
            for row in pages_measure(runs=args.runs, only=args.only, log=log)
        ]
        log(f"pages measured in {time.perf_counter() - started:.0f} s")
    if not args.no_load:
        from benchmarks.load import load_run

        figures["load"] = load_run(
            clients=args.clients, seconds=args.load_seconds, log=log
        ).as_dict()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(table_text(figures))
    if args.results:
        args.results.write_text(
            results_markdown(figures, note=args.note), encoding="utf-8"
        )
        log(f"written to {args.results}")


if __name__ == "__main__":
    main()
