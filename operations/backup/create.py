"""``backup_create``: one consistent backup into a new folder."""

from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from operations.backup.database import database_dump
from operations.backup.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MEDIA,
    BackupError,
    app_version,
    applied_migrations,
    file_sha256,
    manifest_write,
    table_counts,
)


@dataclass(frozen=True)
class StoredFile:
    """A file a row refers to: its storage name and the field holding it."""

    name: str
    field: str  # "app_label.Model.field"


def stored_files() -> list[StoredFile]:
    """Every file a row refers to, each name once."""
    found: dict[str, StoredFile] = {}
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue
            names = (
                model._base_manager.exclude(**{field.attname: ""})
                .exclude(**{f"{field.attname}__isnull": True})
                .order_by(field.attname)
                .values_list(field.attname, flat=True)
            )
            label = f"{model._meta.label}.{field.name}"
            for name in names:
                found.setdefault(name, StoredFile(name, label))
    return sorted(found.values(), key=lambda f: f.name)


def file_field(label: str) -> models.FileField:
    app_model, name = label.rsplit(".", 1)
    return apps.get_model(app_model)._meta.get_field(name)


def _copy_file(stored: StoredFile, folder: Path) -> dict | None:
    """Copy one file into the backup and describe it; ``None`` when it was
    deleted after the snapshot together with its row (a draft's attachment,
    an expired ZIP export)."""
    target = (folder / MEDIA / stored.name).resolve()
    if not target.is_relative_to((folder / MEDIA).resolve()):
        raise BackupError(f"ファイル名 {stored.name} はフォルダの外を指しています。")
    target.parent.mkdir(parents=True, exist_ok=True)
    storage = file_field(stored.field).storage
    try:
        with storage.open(stored.name, "rb") as source, target.open("wb") as out:
            while chunk := source.read(1024 * 1024):
                out.write(chunk)
    except FileNotFoundError as e:
        target.unlink(missing_ok=True)
        field = file_field(stored.field)
        rows = field.model._base_manager.filter(**{field.attname: stored.name})
        if not rows.exists():
            return None
        raise BackupError(
            f"{stored.field} が参照するファイル {stored.name} がストレージに"
            "ありません。ストレージ（MEDIA_ROOT またはバケット）を確認してください。"
        ) from e
    return {
        "path": f"{MEDIA}/{stored.name}",
        "name": stored.name,
        "field": stored.field,
        "size": target.stat().st_size,
        "sha256": file_sha256(target),
    }


def _folder_prepare(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(
            f"{folder} は空のフォルダではありません。バックアップは上書きしないので、"
            "新しいフォルダ（例: 日付入りの名前）を指定してください。"
        )
    folder.mkdir(parents=True, exist_ok=True)


def backup_create(*, folder: Path) -> dict:
    """Back up the database and every file its rows refer to into
    ``folder`` (new or empty) and return the manifest, written last: a
    folder without ``manifest.json`` is an unfinished backup.

    On PostgreSQL one REPEATABLE READ transaction exports its snapshot to
    ``pg_dump`` and reads the file names, counts and migrations from that
    same snapshot, while the portal keeps running."""
    _folder_prepare(folder)
    started = timezone.now()
    with transaction.atomic():
        snapshot = ""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
        database_file = database_dump(folder, snapshot=snapshot)
        files = stored_files()
        counts = table_counts()
        migrations = applied_migrations()
    entries = [
        {
            "path": database_file,
            "size": (folder / database_file).stat().st_size,
            "sha256": file_sha256(folder / database_file),
        }
    ]
    gone = []
    for stored in files:
        if entry := _copy_file(stored, folder):
            entries.append(entry)
        else:
            gone.append({"name": stored.name, "field": stored.field})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "app": app_version(),
        "database": {"vendor": connection.vendor, "file": database_file},
        "migrations": migrations,
        "counts": counts,
        "files": entries,
        # Rows of the snapshot whose file was deleted with the row meanwhile.
        "files_deleted_during_backup": gone,
    }
    manifest_write(folder, manifest)
    return manifest
