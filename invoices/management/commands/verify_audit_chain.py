"""``manage.py verify_audit_chain``: check that no invoice history and no
settings or role change (設定・権限の変更履歴) was altered or removed. Exits
0 when intact, 1 naming the first broken event."""

from django.core.management.base import BaseCommand, CommandError

from invoices.audit import chain_verify
from invoices.models import InvoiceEvent
from municipality.models import SettingsEvent


class Command(BaseCommand):
    help = (
        "請求書の履歴と設定・権限の変更履歴（ハッシュチェーン）が"
        "改ざん・削除されていないか検証します。"
    )

    def handle(self, *args, **options):
        problem = chain_verify()
        if problem is not None:
            where = f"{problem.where}: " if problem.where else ""
            raise CommandError(f"履歴の検証に失敗しました。{where}{problem.message}")
        count = (
            InvoiceEvent.objects.with_scopes_disabled().count()
            + SettingsEvent.objects.with_scopes_disabled().count()
        )
        self.stdout.write(
            self.style.SUCCESS(f"履歴 {count} 件を検証しました。改ざんはありません。")
        )
