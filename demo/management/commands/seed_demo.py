"""``manage.py seed_demo``: load the demo data and print the demo logins."""

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from demo.logins import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    demo_login_needs_two_factor,
)
from demo.world import demo_highlights, demo_seed


class Command(BaseCommand):
    help = (
        "デモ用の自治体・部署・利用者・取引先を作成し、ログイン情報を表示します。"
        "何度実行しても、既存のデータは変更しません。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="DEBUG が無効な環境でも実行します（検証環境用）。",
        )

    def handle(self, *args, **options):
        # The demo users have a published password, one of them a superuser.
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "デモデータは DEBUG が無効な環境（本番など）では作成しません。"
                "公開されたパスワードの管理者が作られるためです。"
                "検証環境で実行する場合は --force を付けてください。"
            )
        try:
            result = demo_seed()
        except ValidationError as e:
            raise CommandError(
                "デモデータを作成できませんでした: " + " ".join(e.messages)
            ) from e
        if result.changed:
            summary = "、".join(f"{label} {n}件" for label, n in result.created.items())
            self.stdout.write(
                self.style.SUCCESS(f"デモデータを作成しました: {summary}")
            )
        else:
            self.stdout.write("デモデータはすでに最新です（変更なし）")

        # The address mail links use too (``make demo PORT=…`` sets it).
        site_url = settings.SITE_URL.rstrip("/")
        rows = [("メールアドレス", "パスワード", "開始URL", "役割")]
        for login in DEMO_LOGINS:
            start = reverse("admin:index" if login.is_superuser else "account_login")
            role = login.role
            if demo_login_needs_two_factor(login):
                role += " ※二段階認証"
            rows.append((login.email, DEMO_PASSWORD, site_url + start, role))
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        self.stdout.write("\nデモ用ログイン:")
        for row in rows:
            padded = [
                _pad(text, width) for text, width in zip(row[:-1], widths, strict=True)
            ]
            self.stdout.write("  ".join([*padded, row[-1]]))
        self.stdout.write(
            "\n※二段階認証: パスワードのあとに認証アプリの6桁のコードを入力します。"
            f"\n  秘密鍵 {DEMO_TOTP_SECRET} を認証アプリに登録するか、"
            "次のどちらかで現在のコードを表示してください。"
            "\n  make demo-totp"
            f"\n  oathtool --totp -b {DEMO_TOTP_SECRET}"
        )
        if highlights := demo_highlights():
            self.stdout.write("\nデモで見られるもの:")
            for line in highlights:
                self.stdout.write(f"  ・{line}")


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for full-width characters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
