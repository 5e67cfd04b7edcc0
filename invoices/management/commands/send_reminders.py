"""``manage.py send_reminders``: run the daily reminder job now (what Celery
beat runs every morning), e.g. from cron where no beat runs."""

from datetime import date

from django.core.management.base import BaseCommand

from invoices.reminders import reminders_send_daily


class Command(BaseCommand):
    help = (
        "未開封・支払期限のお知らせを今日の分だけ送ります（同じ日に二度は送りません）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="この日付として実行します（YYYY-MM-DD）。",
        )

    def handle(self, *args, **options):
        sent = reminders_send_daily(today=options["date"])
        self.stdout.write(f"お知らせメールを {sent} 通送信しました。")
