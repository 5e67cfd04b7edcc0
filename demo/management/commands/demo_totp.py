"""``manage.py demo_totp [EMAIL]``: the current two-factor code of the demo
administrators (their authenticator-app secret is published)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

from accounts.twofactor import totp_code
from demo.logins import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = (
        "デモの管理者（二段階認証あり）がログインに使う、認証アプリの現在のコードを"
        "表示します。コードは30秒ごとに変わります。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "email",
            nargs="?",
            help="このメールアドレスの利用者がデモ用の秘密鍵を使っているか確かめます。",
        )

    def handle(self, *args, **options):
        email = options["email"]
        if email:
            authenticator = Authenticator.objects.filter(
                user__email__iexact=email, type=Authenticator.Type.TOTP
            ).first()
            if authenticator is None:
                raise CommandError(
                    f"{email} には認証アプリ（二段階認証）が設定されていません。"
                    "seed_demo で作成したデモの管理者のメールアドレスを"
                    "指定してください。"
                )
            if decrypt(authenticator.data["secret"]) != DEMO_TOTP_SECRET:
                raise CommandError(
                    f"{email} はデモ用の秘密鍵ではなく、本人が設定した認証アプリを"
                    "使っています。そのアプリに表示されるコードを入力してください。"
                )
        self.stdout.write(totp_code(DEMO_TOTP_SECRET))
