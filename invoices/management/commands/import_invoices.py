"""``manage.py import_invoices FILE --supplier T… [--dry-run] [--issue]``:
the CSV bulk upload from the command line, with the same checks and
messages as the upload page. Exits 1 and saves nothing when the file has
any problem; exits 0 with a summary otherwise."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from invoices.csv_import import (
    ENCODING_LABELS,
    CsvImportError,
    csv_import,
    csv_issue_problems,
    csv_parse,
)
from municipality.validators import normalize_identifier
from partners.models import Supplier, SupplierMembership, SupplierRole


class Command(BaseCommand):
    help = (
        "請求書のCSVを取り込みます（1行が明細1行、同じ請求書番号の行が1枚の"
        "請求書）。誤りが1つでもあれば何も保存しません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSVファイル")
        parser.add_argument(
            "--supplier",
            required=True,
            help="取引先の登録番号（T＋13桁）",
        )
        parser.add_argument(
            "--user",
            help="取り込む人のメールアドレス（取引先の利用者）。"
            "取引先の管理者が1人だけなら省略できます。",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="確認だけして、何も保存しない",
        )
        parser.add_argument(
            "--issue",
            action="store_true",
            help="下書きではなく、発行まで行う",
        )

    def handle(self, *args, file, supplier, user, dry_run, issue, **options):
        supplier = _supplier(supplier)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"ファイルを読めません: {error}") from error
        result = csv_parse(data=data, supplier=supplier)
        errors = result.errors or (
            csv_issue_problems(result=result, supplier=supplier) if issue else ()
        )
        if not errors and not dry_run:
            try:
                csv_import(
                    data=data,
                    supplier=supplier,
                    actor=_actor(supplier, user),
                    issue=issue,
                )
            except CsvImportError as error:
                errors = error.errors
        if errors:
            for error in errors:
                self.stderr.write(str(error))
            raise CommandError(f"誤りが{len(errors)}件あります。何も保存していません。")
        for notice in result.notices:
            self.stdout.write(str(notice))
        if options["verbosity"] >= 2:
            for invoice in result.invoices:
                self.stdout.write(
                    f"{invoice.number}  {invoice.municipality_name} "
                    f"{invoice.department_name}  明細{len(invoice.lines)}行  "
                    f"{invoice.total:,}円"
                )
        total = sum(invoice.total for invoice in result.invoices)
        summary = (
            f"請求書 {len(result.invoices)}件（明細 {result.line_count}行、"
            f"請求金額の合計 {total:,}円、文字コード "
            f"{ENCODING_LABELS[result.encoding]}）"
        )
        if dry_run:
            self.stdout.write(f"確認しました（保存していません）: {summary}")
        else:
            state = "発行" if issue else "下書きとして保存"
            self.stdout.write(self.style.SUCCESS(f"{state}しました: {summary}"))


def _supplier(registration_number: str) -> Supplier:
    number = normalize_identifier(registration_number)
    supplier = Supplier.objects.filter(registration_number=number).first()
    if supplier is None:
        raise CommandError(f"登録番号 {number} の取引先はありません。")
    return supplier


def _actor(supplier: Supplier, email: str | None):
    """Who the invoices are created (and issued) by: a user of the
    supplier, recorded in each invoice's history."""
    members = SupplierMembership.objects.filter(supplier=supplier).select_related(
        "user"
    )
    if email:
        membership = members.filter(user__email__iexact=email).first()
        if membership is None:
            raise CommandError(f"{email} は {supplier} の利用者ではありません。")
        return membership.user
    owners = list(members.filter(role=SupplierRole.OWNER))
    if len(owners) != 1:
        raise CommandError(
            f"{supplier} の管理者が{len(owners)}人います。"
            "--user で取り込む人のメールアドレスを指定してください。"
        )
    return owners[0].user
