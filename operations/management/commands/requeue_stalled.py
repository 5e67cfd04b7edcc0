"""``manage.py requeue_stalled``: queue again the PDFs and mails whose task
was lost (the beat task does the same every 5 minutes)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from operations.sweeper import stalled_work_requeue


class Command(BaseCommand):
    help = (
        "作成されていない請求書PDFと送信されていないメールのうち、"
        "猶予時間を過ぎたものを再びキューに入れます（Redis の再起動などで"
        "失われたタスクの回収）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=None,
            help="この分数より前に依頼されたものを対象にします"
            "（既定: STALLED_WORK_GRACE_MINUTES）。",
        )

    def handle(self, *args, **options):
        minutes = options["minutes"]
        requeued = stalled_work_requeue(
            older_than=None if minutes is None else timedelta(minutes=minutes)
        )
        self.stdout.write(
            f"再びキューに入れました: 請求書PDF {requeued.pdfs}件、"
            f"メール {requeued.mails}件"
        )
