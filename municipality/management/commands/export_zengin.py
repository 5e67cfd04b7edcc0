"""Write a payment batch's Zengin 総合振込 file to disk, e.g. for a bank
upload job: the stored file of an exported or paid batch, or — for an
approved batch not yet exported — the file the export creates first."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope, scopes_disabled

from municipality.models import BatchStatus, PaymentBatch
from municipality.treasury.services.batch_moves import batch_export, batch_zengin_read


class Command(BaseCommand):
    help = "支払バッチの振込データ（全銀 総合振込）をファイルに書き出します。"

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int, help="支払バッチのID")
        parser.add_argument(
            "--output", required=True, type=Path, help="書き出すファイルのパス"
        )

    def handle(self, *args, batch_id, output, **options):
        with scopes_disabled():
            batch = PaymentBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"支払バッチ {batch_id} は見つかりません。")
        if batch.status in (BatchStatus.DRAFT, BatchStatus.CANCELLED):
            raise CommandError(
                f"支払バッチ {batch.number} は「{batch.get_status_display()}」のため、"
                "振込データを書き出せません。"
                + (
                    "会計担当者が画面で承認してから実行してください。"
                    if batch.status == BatchStatus.DRAFT
                    else ""
                )
            )
        with scope(municipality=batch.municipality_id):
            try:
                if batch.status == BatchStatus.APPROVED:
                    batch = batch_export(batch=batch, actor=None)
                data = batch_zengin_read(batch=batch, actor=None)
            except ValidationError as error:
                raise CommandError("\n".join(error.messages)) from error
        output.write_bytes(data)
        self.stdout.write(
            f"支払バッチ {batch.number} の振込データ（{len(data)} バイト、"
            f"SHA-256 {batch.zengin_sha256}）を {output} に書き出しました。"
        )
