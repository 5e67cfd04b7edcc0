"""The demo treasury of Kanoya (会計管理者・出納室): its settings, and a
payment batch whose payment date is still to come, made through the
treasury's services.

The batch is exported (the Zengin file and the payment notices exist)
but cannot be marked paid before its payment date: the batch page says
from which day it can.
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.models import User
from invoices.models import Invoice
from municipality.models import Municipality, TreasurySettings
from municipality.treasury.services.batch_moves import batch_can_export, batch_export
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.services.settings import treasury_settings_save
from municipality.treasury.zengin import bank_business_day

if TYPE_CHECKING:
    from demo.world import DemoSeedResult

# How far ahead the demo batch pays: the first bank business day from then.
PAYMENT_DATE_AHEAD = timedelta(days=14)


def treasury_settings_ensure(
    *, municipality: Municipality, result: "DemoSeedResult"
) -> None:
    """Kanoya's (invented) originator data, so the demo treasury can export a
    Zengin file."""
    if TreasurySettings.objects.filter(municipality=municipality).exists():
        return
    treasury_settings_save(
        municipality=municipality,
        values={
            "originator_code": "4620390001",
            "originator_name_kana": "ｶﾉﾔｼ ｶｲｹｲｶﾝﾘｼﾔ",
            "bank_code": "0185",
            "branch_code": "500",
            "account_type": "1",
            "account_number": "0000001",
        },
        actor=None,
    )
    result.add("会計の設定")


def future_payment_date(today: date) -> date:
    """The first bank business day ``PAYMENT_DATE_AHEAD`` after ``today``."""
    day = today + PAYMENT_DATE_AHEAD
    while not bank_business_day(day):
        day += timedelta(days=1)
    return day


def future_batch_ensure(
    *,
    municipality: Municipality,
    invoices: list[Invoice],
    treasurer: User,
    result: "DemoSeedResult",
) -> None:
    """A batch paying ``invoices`` (approved, just made by the seed) on a
    future payment date, exported when the treasury settings let a draft
    be exported without a second treasurer's approval (支払の承認)."""
    if not invoices:
        return
    batch = batch_create(
        municipality=municipality,
        payment_date=future_payment_date(timezone.localdate()),
        actor=treasurer,
    )
    batch_add_invoices(
        batch=batch, invoice_ids=[invoice.pk for invoice in invoices], actor=treasurer
    )
    if batch_can_export(batch):
        batch_export(batch=batch, actor=treasurer)
    result.add("支払日前の支払バッチ")
