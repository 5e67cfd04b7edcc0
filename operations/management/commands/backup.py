"""``manage.py backup DIR``: the database and every stored file, with a
manifest of SHA-256 sums (README, "Backup and restore")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "データベース（PostgreSQL は pg_dump、SQLite はオンラインバックアップ）と"
        "保存ファイル（PDF・添付・XML・ZIP など）を、SHA-256 のマニフェスト付きで"
        "新しいフォルダ DIR にバックアップします。運用中に実行できます。"
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="DIR", type=Path)

    def handle(self, *args, folder: Path, **options):
        try:
            manifest = backup_create(folder=folder)
        except BackupError as e:
            raise CommandError(str(e)) from e
        media = len(manifest["files"]) - 1
        size = sum(entry["size"] for entry in manifest["files"])
        invoices = manifest["counts"].get("invoices.Invoice", 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"{folder} にバックアップしました: データベース"
                f"（{manifest['database']['file']}、請求書 {invoices} 件）と"
                f"ファイル {media} 個、合計 {size:,} バイト。"
            )
        )
        if gone := manifest["files_deleted_during_backup"]:
            self.stdout.write(
                f"バックアップ中に行とともに削除されたファイル {len(gone)} 個は"
                "含まれていません（マニフェストに記録）。"
            )
