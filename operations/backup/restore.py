"""``backup_restore``: a checked backup into an empty database."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader

from operations.backup.create import file_field
from operations.backup.database import database_load, database_tables
from operations.backup.manifest import (
    CHUNK,
    BackupError,
    applied_migrations,
    manifest_problems,
    manifest_read,
)

_SHOWN = 20  # problems listed before "and N more"


@dataclass
class RestoreReport:
    rows: int = 0
    files: int = 0
    hashes_checked: int = 0
    events_verified: bool = False
    unapplied_migrations: list[str] = field(default_factory=list)


def _listed(problems: list[str]) -> str:
    shown = "\n".join(f"  - {p}" for p in problems[:_SHOWN])
    if len(problems) > _SHOWN:
        shown += f"\n  …ほか {len(problems) - _SHOWN} 件"
    return shown


def _stored_sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _media_entries(manifest: dict) -> list[dict]:
    return [entry for entry in manifest["files"] if "name" in entry]


def _check_before(folder: Path, manifest: dict) -> None:
    """Everything that can be known before writing: the backup is whole,
    fits this code and this database, and the target is empty."""
    if problems := manifest_problems(folder, manifest):
        raise BackupError(
            "バックアップが壊れているか欠けているため、復元しません"
            "（何も書き込んでいません）。別のバックアップを使ってください。\n"
            + _listed(problems)
        )
    database = manifest["database"]
    if database["file"] not in {entry["path"] for entry in manifest["files"]}:
        raise BackupError("マニフェストにデータベースのファイルが記録されていません。")
    if database["vendor"] != connection.vendor:
        raise BackupError(
            f"このバックアップは {database['vendor']} のものです。"
            f"{connection.vendor} には復元できません。DATABASE_URL を確認してください。"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            "このバックアップはこのコードより新しい版で作られています"
            f"（このコードにないマイグレーション: {', '.join(unknown[:5])}）。"
            f"バックアップを作った版（{manifest['app']['version']} "
            f"{manifest['app']['commit'][:12]}）のコードで復元してください。"
        )
    if tables := database_tables():
        raise BackupError(
            f"復元先のデータベース「{connection.settings_dict['NAME']}」は空ではありません"
            f"（テーブル {len(tables)} 個）。上書きを防ぐため、復元は空のデータベースに"
            "だけ行います。createdb で新しいデータベースを作り、DATABASE_URL を"
            "そこに向けてから実行してください。"
        )
    conflicts = []
    for entry in _media_entries(manifest):
        storage = file_field(entry["field"]).storage
        if storage.exists(entry["name"]) and (
            _stored_sha256(storage, entry["name"]) != entry["sha256"]
        ):
            conflicts.append(f"{entry['name']}: 内容の違うファイルがすでにあります")
    if conflicts:
        raise BackupError(
            "ストレージ（MEDIA_ROOT またはバケット）に同じ名前で内容の違う"
            "ファイルがあるため、復元しません。空のストレージを指定してください。\n"
            + _listed(conflicts)
        )


def _media_restore(manifest: dict, folder: Path) -> int:
    for entry in _media_entries(manifest):
        storage = file_field(entry["field"]).storage
        if storage.exists(entry["name"]):
            continue  # the same content (checked before)
        with (folder / entry["path"]).open("rb") as f:
            saved = storage.save(entry["name"], File(f))
        if saved != entry["name"]:
            raise BackupError(f"{entry['name']} を同じ名前で保存できませんでした。")
    return len(_media_entries(manifest))


def _count_problems(manifest: dict, report: RestoreReport) -> list[str]:
    tables = set(database_tables())
    problems = []
    for label, expected in manifest["counts"].items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # a model this code no longer has
        if model._meta.db_table not in tables:
            continue
        count = model._base_manager.count()
        report.rows += count
        if count != expected:
            problems.append(f"{label}: {count} 行（記録は {expected} 行）")
    return problems


def _hash_problems(manifest: dict, report: RestoreReport) -> list[str]:
    """Each file as stored again against the manifest, and against the
    SHA-256 its row records (a PDF's, an attachment's, an upload's)."""
    problems = []
    for entry in _media_entries(manifest):
        storage = file_field(entry["field"]).storage
        if _stored_sha256(storage, entry["name"]) != entry["sha256"]:
            problems.append(f"{entry['name']}: 復元したファイルの SHA-256 が違います")
    by_name = {entry["name"]: entry["sha256"] for entry in _media_entries(manifest)}
    gone = {entry["name"] for entry in manifest.get("files_deleted_during_backup", [])}
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        file_fields = [
            f for f in model._meta.concrete_fields if isinstance(f, models.FileField)
        ]
        if "sha256" not in names or len(file_fields) != 1:
            continue
        rows = model._base_manager.exclude(sha256="").exclude(
            **{file_fields[0].attname: ""}
        )
        for pk, name, recorded in rows.values_list(
            "pk", file_fields[0].attname, "sha256"
        ):
            if name in gone:
                continue
            report.hashes_checked += 1
            if by_name.get(name) != recorded:
                problems.append(
                    f"{model._meta.label} {pk}: ファイル {name} の SHA-256 が"
                    "記録と違うか、ファイルがありません"
                )
    return problems


def backup_restore(*, folder: Path) -> RestoreReport:
    """Restore the backup in ``folder`` into the configured database, which
    must be empty, and its files into the storage; then check the row
    counts, the files' SHA-256 and the audit chain. Raises ``BackupError``
    before writing anything when the backup is damaged, newer than this
    code, of another database kind, or the database is not empty."""
    from invoices.audit_verify import chain_verify

    manifest = manifest_read(folder)
    _check_before(folder, manifest)
    database_load(folder / manifest["database"]["file"])
    report = RestoreReport()
    report.files = _media_restore(manifest, folder)
    problems = _count_problems(manifest, report) + _hash_problems(manifest, report)
    known = MigrationLoader(connection, ignore_no_migrations=True)
    applied = applied_migrations()
    report.unapplied_migrations = sorted(
        f"{app}.{name}"
        for app, name in known.disk_migrations
        if name not in applied.get(app, [])
    )
    if not report.unapplied_migrations:
        if problem := chain_verify():
            problems.append(f"監査履歴: {problem.where} {problem.message}")
        else:
            report.events_verified = True
    if problems:
        raise BackupError(
            "復元しましたが、検証で問題が見つかりました。復元したデータベースを"
            "使わず、別のバックアップで復元し直してください。\n" + _listed(problems)
        )
    return report
