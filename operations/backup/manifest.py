"""The manifest: what a backup holds and the SHA-256 of each file."""

import hashlib
import json
import os
import subprocess
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "municipal-invoice-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what
    to do (for the operator's console)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def app_version() -> dict[str, str]:
    """The version in pyproject.toml and the commit: ``APP_COMMIT`` (set
    where there is no git checkout, e.g. an image), else git's HEAD."""
    with (settings.BASE_DIR / "pyproject.toml").open("rb") as f:
        version = tomllib.load(f)["project"]["version"]
    commit = os.environ.get("APP_COMMIT", "")
    if not commit and (settings.BASE_DIR / ".git").exists():
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        commit = result.stdout.strip() if result.returncode == 0 else ""
    return {"version": version, "commit": commit}


def applied_migrations() -> dict[str, list[str]]:
    """The applied migrations, by app, as ``django_migrations`` records them."""
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def table_counts() -> dict[str, int]:
    """The number of rows of every model's table (past the tenant scopes)."""
    return {
        model._meta.label: model._base_manager.count()
        for model in sorted(
            apps.get_models(include_auto_created=True), key=lambda m: m._meta.label
        )
    }


def manifest_write(folder: Path, manifest: dict) -> None:
    path = folder / MANIFEST
    path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def manifest_read(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{folder} に {MANIFEST} がありません。backup コマンドが最後まで"
            "終わったバックアップのフォルダを指定してください。"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BackupError(f"{MANIFEST} が壊れています（{e}）。") from e
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} はこのポータルのバックアップではありません。")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"バックアップの形式 {manifest.get('format_version')} には"
            f"対応していません（対応: {FORMAT_VERSION}）。"
        )
    return manifest


def manifest_problems(folder: Path, manifest: dict) -> list[str]:
    """Every file of the manifest that is missing or whose size or SHA-256
    differs, and every path that would leave the folder."""
    problems = []
    root = folder.resolve()
    for entry in manifest["files"]:
        path = (folder / entry["path"]).resolve()
        if not path.is_relative_to(root):
            problems.append(f"{entry['path']}: フォルダの外を指しています")
        elif not path.is_file():
            problems.append(f"{entry['path']}: ファイルがありません")
        elif path.stat().st_size != entry["size"]:
            problems.append(
                f"{entry['path']}: サイズが違います"
                f"（{path.stat().st_size} バイト、記録は {entry['size']} バイト）"
            )
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 が記録と違います")
    return problems
