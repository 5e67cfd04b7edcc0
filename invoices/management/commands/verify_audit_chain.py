"""``manage.py verify_audit_chain [--municipality SLUG]``: check that no
invoice history and no settings or role change (設定・権限の変更履歴) was
altered or removed, in every chain (each municipality's, the platform
chain, the legacy chain) or in one municipality's (its own chain and its
invoices' contents; the legacy chain, shared by every city, is checked when
all are). Prints one line per chain with its number of events and time;
exits 0 when all are intact, 1 naming each broken chain and its first
broken event."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from invoices.audit_verify import chains_verify
from municipality.models import Municipality


class Command(BaseCommand):
    help = (
        "請求書の履歴と設定・権限の変更履歴（ハッシュチェーン）が"
        "改ざん・削除されていないか検証します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality",
            metavar="SLUG",
            help="この自治体のチェーンだけを検証します（例: kanoya）。",
        )

    def handle(self, *args, municipality=None, **options):
        city = None
        if municipality:
            city = Municipality.objects.filter(slug=municipality).first()
            if city is None:
                raise CommandError(
                    gettext("自治体 %(slug)s は見つかりません。")
                    % {"slug": municipality}
                )
        broken, events, invoices, seconds = [], 0, 0, 0.0
        for result in chains_verify(city):
            events += result.events
            invoices += result.invoices
            seconds += result.seconds
            label = result.chain.label
            if result.problem is not None:
                where = f"{result.problem.where}: " if result.problem.where else ""
                broken.append(f"{label}: {where}{result.problem.message}")
                self.stderr.write(f"NG {broken[-1]}")
                continue
            self.stdout.write(
                gettext(
                    "OK %(chain)s: 履歴 %(events)s 件、請求書 %(invoices)s 件"
                    "（%(seconds).1f 秒）"
                )
                % {
                    "chain": label,
                    "events": result.events,
                    "invoices": result.invoices,
                    "seconds": result.seconds,
                }
            )
        if broken:
            raise CommandError(
                gettext("履歴の検証に失敗しました。") + " / ".join(broken)
            )
        rate = events / seconds if seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "履歴 %(events)s 件、請求書 %(invoices)s 件を検証しました"
                    "（%(seconds).1f 秒、毎秒 %(rate)s 件）。改ざんはありません。"
                )
                % {
                    "events": events,
                    "invoices": invoices,
                    "seconds": seconds,
                    "rate": f"{rate:,.0f}",
                }
            )
        )
