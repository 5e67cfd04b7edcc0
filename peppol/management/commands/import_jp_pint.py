"""``manage.py import_jp_pint FILE --supplier T… [--dry-run] [--user EMAIL]``:
the JP PINT upload (one XML file or a ZIP of several) from the command
line, with the same checks, messages and all-or-nothing import as the
upload page (the upload is recorded as if made there). Exits 1 and imports
nothing when any document has a problem."""

from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from invoices.management.commands.import_invoices import _actor, _supplier
from peppol.models import UploadStatus
from peppol.uploads import (
    UPLOAD_MAX_BYTES,
    UploadRejectedError,
    pint_upload_confirm,
    pint_upload_create,
    upload_check,
    upload_documents,
)


class Command(BaseCommand):
    help = (
        "JP PINT（Peppol）の請求書XML、またはXMLをまとめたZIPを取り込み、"
        "請求書として発行します。誤りが1つでもあれば何も取り込みません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="XMLファイルまたはZIP")
        parser.add_argument(
            "--supplier", required=True, help="売り手の登録番号（T＋13桁）"
        )
        parser.add_argument(
            "--user",
            help="取り込む人のメールアドレス（取引先の利用者）。"
            "取引先の管理者が1人だけなら省略できます。",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="確認だけして、何も保存しない"
        )

    def handle(self, *args, file, supplier, user, dry_run, **options):
        supplier = _supplier(supplier)
        try:
            if file.stat().st_size > UPLOAD_MAX_BYTES:
                mb = UPLOAD_MAX_BYTES // 1024 // 1024
                raise CommandError(f"ファイルが大きすぎます（{mb}MBまで）。")
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"ファイルを読めません: {error}") from error
        with scopes_disabled():
            if dry_run:
                try:
                    documents = upload_documents(name=file.name, data=data)
                except UploadRejectedError as error:
                    raise CommandError(str(error)) from error
                preview = upload_check(supplier=supplier, documents=documents)
                errors = preview["errors"]
            else:
                try:
                    upload = pint_upload_create(
                        supplier=supplier,
                        actor=_actor(supplier, user),
                        name=file.name,
                        data=data,
                    )
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from error
                preview = upload.preview
                errors = preview["errors"]
                if upload.status == UploadStatus.READY:
                    upload = pint_upload_confirm(upload=upload)
                    errors = upload.result.get("errors", [])
        if errors:
            for error in errors:
                self.stderr.write(
                    f"{error['filename']}: {error['message']} [{error['rule']}]"
                )
            raise CommandError(
                f"誤りが{len(errors)}件あります。何も取り込んでいません。"
            )
        invoices = preview["invoices"]
        if options["verbosity"] >= 2:
            for invoice in invoices:
                self.stdout.write(
                    f"{invoice['number']}  {invoice['municipality']} "
                    f"{invoice['department']}  明細{invoice['line_count']}行  "
                    f"{Decimal(invoice['total']):,}円"
                )
        total = sum((Decimal(i["total"]) for i in invoices), Decimal(0))
        summary = f"請求書 {len(invoices)}件（請求金額の合計 {total:,}円）"
        if dry_run:
            self.stdout.write(f"確認しました（保存していません）: {summary}")
        else:
            self.stdout.write(self.style.SUCCESS(f"発行しました: {summary}"))
