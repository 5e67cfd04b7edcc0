"""``manage.py validate_jp_pint FILE [FILE …]``: a JP PINT document (or
Invoice Response) checked the way the portal checks what it receives: the
safe parser, the official XSD and XSLTs when ``PEPPOL_ARTIFACTS_DIR`` is set,
and the portal's own checks. Prints one line per problem; exits 1 when any
is fatal."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from peppol.validation import DocumentRejected, document_problems, official_configured


class Command(BaseCommand):
    help = (
        "JP PINT（デジタルインボイス）の XML を検証し、問題を表示します。"
        "PEPPOL_ARTIFACTS_DIR を設定すると公式の検証ルールも使います。"
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="XML ファイル")

    def handle(self, *args, files, **options):
        if not official_configured():
            self.stderr.write(
                "PEPPOL_ARTIFACTS_DIR が未設定のため、ポータル独自の検査だけを"
                "行います（公式の XSD・XSLT は使いません）。"
            )
        fatal_count = 0
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as error:
                raise CommandError(f"ファイルを読めません: {error}") from error
            try:
                problems = document_problems(data)
            except DocumentRejected as error:
                self.stdout.write(f"{path}: fatal [parse] {error.message_ja}")
                fatal_count += 1
                continue
            for problem in problems:
                where = f" @ {problem.location}" if problem.location else ""
                self.stdout.write(
                    f"{path}: {problem.severity} [{problem.rule}] "
                    f"{problem.message}{where}"
                )
            fatal = sum(p.is_fatal for p in problems)
            fatal_count += fatal
            if not problems:
                self.stdout.write(f"{path}: OK")
        if fatal_count:
            raise CommandError(f"致命的な問題が {fatal_count} 件あります。")
