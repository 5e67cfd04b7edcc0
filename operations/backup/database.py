"""The database part of a backup: ``pg_dump``/``pg_restore`` for PostgreSQL,
SQLite's online backup API for the demo's SQLite file."""

import os
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

from operations.backup.manifest import BackupError

PG_DUMP = "database.dump"
SQLITE_FILE = "database.sqlite3"


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database (no password on the
    command line, where ``ps`` would show it)."""
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for variable, value in (
        ("PGHOST", db["HOST"]),
        ("PGPORT", str(db["PORT"] or "")),
        ("PGUSER", db["USER"]),
        ("PGPASSWORD", db["PASSWORD"]),
        ("PGSSLMODE", db.get("OPTIONS", {}).get("sslmode", "")),
    ):
        if value:
            env[variable] = value
    return env


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, our arguments
            command, env=_pg_env(), capture_output=True, text=True, check=False
        )
    except FileNotFoundError as e:
        raise BackupError(
            f"{command[0]} が見つかりません。PostgreSQL のクライアント"
            "（Debian: postgresql-client、サーバーと同じか新しい版）を"
            "導入してください。"
        ) from e
    if result.returncode != 0:
        raise BackupError(f"{what}に失敗しました:\n{result.stderr.strip()}")


def database_dump(folder: Path, *, snapshot: str = "") -> str:
    """Write the database into ``folder``; return the file's name.

    On PostgreSQL ``snapshot`` (``pg_export_snapshot()`` of an open
    transaction) makes ``pg_dump`` see exactly what that transaction sees."""
    if connection.vendor == "postgresql":
        command = ["pg_dump", "--format=custom", "--file", str(folder / PG_DUMP)]
        if snapshot:
            command.append(f"--snapshot={snapshot}")
        _run(command, "pg_dump")
        return PG_DUMP
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(folder / SQLITE_FILE)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return SQLITE_FILE
    raise BackupError(f"{connection.vendor} のバックアップには対応していません。")


def database_load(path: Path) -> None:
    """Load a dump into the configured (empty) database, all or nothing."""
    if connection.vendor == "postgresql":
        connection.close()
        _run(
            [
                "pg_restore", "--exit-on-error", "--single-transaction",
                "--no-owner", "--no-privileges",
                "--dbname", connection.settings_dict["NAME"], str(path),
            ],
            "pg_restore",
        )  # fmt: skip
        return
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def database_tables() -> list[str]:
    """The tables in the configured database (an empty one has none)."""
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)
