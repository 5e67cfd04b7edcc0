"""``manage.py restore DIR``: a backup made by ``backup`` into an empty
database, checked before and after (README, "Backup and restore")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "backup で作ったバックアップを、空のデータベース（DATABASE_URL）と"
        "ストレージに復元します。先にマニフェストの SHA-256 を検証し、"
        "壊れたバックアップや空でないデータベースには書き込みません。"
        "復元後に行数・ファイルのハッシュ・監査履歴を検証します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="DIR", type=Path)

    def handle(self, *args, folder: Path, **options):
        try:
            report = backup_restore(folder=folder)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            self.style.SUCCESS(
                f"{folder} から復元しました: {report.rows:,} 行、ファイル "
                f"{report.files} 個。記録された SHA-256 {report.hashes_checked} 件が"
                "ファイルと一致しました。"
            )
        )
        if report.events_verified:
            self.stdout.write(
                "監査履歴（ハッシュチェーン）を検証しました。改ざんはありません。"
            )
        else:
            self.stdout.write(
                "このコードにはバックアップより新しいマイグレーションがあります"
                f"（{len(report.unapplied_migrations)} 個）。"
                "python manage.py migrate を実行してから、"
                "python manage.py verify_audit_chain で監査履歴を検証してください。"
            )
