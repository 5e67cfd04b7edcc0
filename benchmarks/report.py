"""The benchmark's figures as a table, and as ``benchmarks/RESULTS.md``."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from unicodedata import east_asian_width

from django.db import connection

COLUMNS = ("page", "role", "median ms", "p95 ms", "queries", "floor ms", "ratio")


def _rows(figures: dict) -> list[tuple[str, ...]]:
    return [
        (
            page["name"]
            if page["status"] == 200
            else f"{page['name']} [{page['status']}]",
            page["role"],
            f"{page['median_ms']:,.1f}",
            f"{page['p95_ms']:,.1f}",
            str(page["queries"]),
            f"{page['floor_ms']:,.1f}",
            f"{page['ratio']:.1f}",
        )
        for page in figures["pages"]
    ]


def _load_lines(load: dict) -> list[str]:
    return [
        f"{load['url']} through gunicorn ({load['workers']} workers), "
        f"{load['clients']} concurrent logged-in clients for {load['seconds']} s:",
        f"{load['requests']:,} requests, {load['errors']} errors, "
        f"{load['requests_per_second']:.1f} requests/s, "
        f"median {load['median_ms']:,.0f} ms, p95 {load['p95_ms']:,.0f} ms, "
        f"max {load['max_ms']:,.0f} ms",
    ]


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (kanji and kana take two)."""
    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    padding = " " * (width - _width(text))
    return text + padding if left else padding + text


def table_text(figures: dict) -> str:
    rows = [COLUMNS, *_rows(figures)]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(
            _pad(cell, width, left=i < 2)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if "load" in figures:
        lines += ["", *_load_lines(figures["load"])]
    return "\n".join(lines)


def _machine() -> str:
    with open("/proc/meminfo", encoding="ascii") as f:
        memory_kb = int(f.readline().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"{memory_kb / 1024 / 1024:.0f} GiB memory, "
        f"PostgreSQL {version} (shared_buffers {buffers}), "
        f"Python {platform.python_version()}"
    )


def figures_load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def results_markdown(figures: dict, *, note: str = "") -> str:
    rows = _rows(figures)
    table = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(COLUMNS))) + "|",
        *["| " + " | ".join(row) + " |" for row in rows],
    ]
    counts = figures.get("counts", {})
    parts = [
        "# Benchmark results (`make bench`)",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Commit: {_commit()}",
        f"- Machine: {_machine()}",
        f"- Data: {figures['size']:,} invoices"
        + "".join(
            f", {value:,} {name}"
            for name, value in counts.items()
            if name != "invoices"
        )
        + f"; seeded in {figures['seed_seconds'] / 60:.1f} min",
        f"- Load average (1, 5, 15 min) when the pages were measured: "
        f"{figures.get('load_average', '')} — the machine is shared, and "
        "its other users' work is in every figure",
        f"- Each page: median and p95 of {figures.get('runs', 20)} requests "
        "(Django test client, server time), queries counted on one more; "
        "floor: the page's slowest query run bare, median of as many runs.",
    ]
    if note:
        parts += ["", note]
    parts += ["", *table]
    if "load" in figures:
        parts += ["", "## Under load", "", *_load_lines(figures["load"])]
    return "\n".join(parts) + "\n"
