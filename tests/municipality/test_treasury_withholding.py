"""Paying an individual's fees: the transfer is the 差引支払額 (the total
less the withholding income tax and the fee) in the Zengin file, the
財務会計 CSV and the payment notice; the yearly 支払調書 summary per payee
from the treasury page, recorded in the invoices' history."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from invoices.models import EventKind, InvoiceEvent, WithholdingKind
from invoices.services.drafts import LineInput
from municipality.models import FeeBearer, PaymentBatch, PaymentNotice
from municipality.treasury.selectors.statements import (
    withholding_paid_invoices,
    withholding_statement_rows,
)
from municipality.treasury.services.accounting import batch_accounting_csv
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.services.notices import render_payment_notice_pdf
from municipality.treasury.services.statements import (
    WITHHOLDING_STATEMENT_HEADER,
    withholding_statement_csv,
)
from partners.models import LegalForm
from tests.factories import payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_scopes():
    with scopes_disabled():
        yield


def fee(amount: int, description="講演料") -> LineInput:
    return LineInput(
        description, Decimal(1), Decimal(amount), "S", "式", withholding=True
    )


def expenses(amount: int) -> LineInput:
    return LineInput("交通費", Decimal(1), Decimal(amount), "S", "式")


def individual(tenant, **supplier_fields):
    """An individual supplier (owner, connection) with a bank account."""
    user, connection = make_supplier(tenant.department)
    supplier = connection.supplier
    supplier.legal_form = LegalForm.INDIVIDUAL
    for name, value in supplier_fields.items():
        setattr(supplier, name, value)
    supplier.save()
    return user, connection


@pytest.fixture
def settings_row(tenant):
    return make_settings(tenant.municipality)


def _batch(tenant, invoices) -> PaymentBatch:
    batch = batch_create(
        municipality=tenant.municipality,
        payment_date=business_day_after(timezone.localdate()),
        actor=tenant.treasury,
    )
    batch_add_invoices(
        batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )
    return batch


def _paid(tenant, invoices, *, on: date | None = None) -> PaymentBatch:
    batch = _batch(tenant, invoices)
    batch_export(batch=batch, actor=tenant.treasury)
    batch = payment_day_reached(batch)
    batch_mark_paid(batch=batch, actor=tenant.treasury)
    if on is not None:
        PaymentBatch._base_manager.filter(pk=batch.pk).update(payment_date=on)
    return batch


def _zengin_amounts(batch) -> list[int]:
    batch.refresh_from_db()
    with batch.zengin_file.open("rb") as f:
        records = f.read().decode("cp932").split("\r\n")
    # Data records: 振込金額 at positions 81-90.
    return [int(r[80:90]) for r in records if r.startswith("2")]


def test_the_zengin_amount_is_the_total_less_the_withheld_tax(tenant, settings_row):
    user, connection = individual(tenant)
    invoice = make_approved(
        tenant, user, connection, lines=[fee(100_000), expenses(5_000)]
    )
    # 115,500 billed; 10,210 withheld; the city bears the fee.
    assert (invoice.total, invoice.withholding_tax) == (115_500, 10_210)
    batch = _batch(tenant, [invoice])
    batch_export(batch=batch, actor=tenant.treasury)
    assert _zengin_amounts(batch) == [105_290]
    (notice,) = PaymentNotice.objects.filter(batch=batch)
    assert (
        notice.amount,
        notice.withholding_tax,
        notice.fee,
        notice.transfer_amount,
    ) == (115_500, 10_210, 0, 105_290)


def test_the_fee_is_banded_on_what_is_transferred_and_deducted_too(
    tenant, settings_row
):
    settings_row.fee_bearer = FeeBearer.PAYEE
    settings_row.save()
    user, connection = individual(tenant)
    # 33,000 billed − 3,063 withheld = 29,937: under 30,000, the small fee.
    invoice = make_approved(tenant, user, connection, lines=[fee(30_000)])
    assert invoice.withholding_tax == 3_063
    batch = _batch(tenant, [invoice])
    batch_export(batch=batch, actor=tenant.treasury)
    (notice,) = PaymentNotice.objects.filter(batch=batch)
    assert notice.fee == settings_row.fee_other_bank_small
    assert notice.transfer_amount == 33_000 - 3_063 - notice.fee
    assert _zengin_amounts(batch) == [int(notice.transfer_amount)]


def test_a_corporations_transfer_is_unchanged(tenant, settings_row):
    user, connection = make_supplier(tenant.department)
    invoice = make_approved(tenant, user, connection)
    batch = _batch(tenant, [invoice])
    batch_export(batch=batch, actor=tenant.treasury)
    assert _zengin_amounts(batch) == [int(invoice.total)]


def test_the_accounting_csv_has_the_withheld_tax_and_the_net(tenant, settings_row):
    user, connection = individual(tenant)
    invoice = make_approved(
        tenant, user, connection, lines=[fee(100_000), expenses(5_000)]
    )
    batch = _batch(tenant, [invoice])
    rows = list(
        csv.DictReader(
            io.StringIO(
                batch_accounting_csv(batch=batch, actor=tenant.treasury).decode("cp932")
            )
        )
    )
    assert [(r["請求金額"], r["源泉徴収税額"], r["差引支払額"]) for r in rows] == [
        ("115500", "10210", "105290")
    ]


def test_the_payment_notice_shows_the_withheld_tax(tenant, settings_row):
    user, connection = individual(tenant)
    invoice = make_approved(
        tenant, user, connection, lines=[fee(100_000), expenses(5_000)]
    )
    batch = _batch(tenant, [invoice])
    batch_export(batch=batch, actor=tenant.treasury)
    (notice,) = PaymentNotice.objects.filter(batch=batch)
    text = PdfReader(io.BytesIO(render_payment_notice_pdf(notice))).pages[0]
    text = text.extract_text()
    for expected in (
        "差し引いた源泉徴収税額",
        "差引支払額",
        "115,500円",
        "10,210円",
        "105,290円",
    ):
        assert expected in text, expected


def test_the_payment_notice_mail_names_the_withheld_tax(
    tenant, settings_row, django_capture_on_commit_callbacks
):
    user, connection = individual(tenant)
    invoice = make_approved(tenant, user, connection, lines=[fee(100_000)])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _paid(tenant, [invoice])
    (message,) = mail.outbox
    assert "差し引いた源泉徴収税額: 10,210円" in message.body
    assert "振込額: 99,790円" in message.body


def test_the_batch_page_shows_the_withheld_tax(client, tenant, settings_row):
    user, connection = individual(tenant)
    invoice = make_approved(tenant, user, connection, lines=[fee(100_000)])
    batch = _batch(tenant, [invoice])
    client.force_login(tenant.treasury)
    page = client.get(
        reverse("city:batch", kwargs={"municipality_slug": "kanoya", "pk": batch.pk})
    ).content.decode()
    assert "差し引く源泉徴収税額" in page
    assert "10,210円" in page
    assert "99,790円" in page  # 110,000 − 10,210


# 支払調書 ---------------------------------------------------------------------


@pytest.fixture
def paid_year(tenant, settings_row):
    """Fees paid to two individuals and a corporation's invoice: in 2026,
    one payee over the ¥50,000 threshold with both kinds of fee, one under
    it; in 2025 one more payment that must not count."""
    lecturer, lecturer_connection = individual(
        tenant,
        legal_name="鹿屋 花子",
        name_kana="カノヤ ハナコ",
        postal_code="893-0001",
        address="鹿児島県鹿屋市打馬1-1",
    )
    scrivener, scrivener_connection = individual(
        tenant, legal_name="大隅 太郎", name_kana="オオスミ タロウ"
    )
    corporation, corporation_connection = make_supplier(tenant.department)
    paid_2026 = [
        make_approved(tenant, lecturer, lecturer_connection, lines=[fee(40_000)]),
        make_approved(
            tenant,
            lecturer,
            lecturer_connection,
            lines=[fee(30_000, "登記手続"), expenses(2_000)],
            withholding_kind=WithholdingKind.SCRIVENER,
        ),
        make_approved(tenant, scrivener, scrivener_connection, lines=[fee(20_000)]),
        make_approved(tenant, corporation, corporation_connection),
    ]
    _paid(tenant, paid_2026, on=date(2026, 6, 30))
    old = make_approved(tenant, lecturer, lecturer_connection, lines=[fee(90_000)])
    _paid(tenant, [old], on=date(2025, 12, 26))
    return paid_2026, old


def test_the_summary_counts_a_calendar_year_by_payment_date(tenant, paid_year):
    rows = withholding_statement_rows(
        withholding_paid_invoices(municipality=tenant.municipality, year=2026)
    )
    assert [
        (
            r.supplier.legal_name,
            r.kind,
            r.amount,
            r.withholding_tax,
            r.invoice_count,
            r.must_file,
        )
        for r in rows
    ] == [
        ("大隅 太郎", "general", 20_000, 2_042, 1, False),
        # 40,000 + 30,000 = 70,000 paid to her: over ¥50,000, so filed.
        ("鹿屋 花子", "general", 40_000, 4_084, 1, True),
        ("鹿屋 花子", "scrivener", 30_000, 2_042, 1, True),
    ]


def test_the_summary_csv_is_escaped_and_its_download_recorded(tenant, paid_year):
    paid_2026, old = paid_year
    data = withholding_statement_csv(
        municipality=tenant.municipality, year=2026, actor=tenant.treasury
    )
    rows = list(csv.reader(io.StringIO(data.decode("cp932"))))
    assert rows[0] == list(WITHHOLDING_STATEMENT_HEADER)
    lecturer = dict(zip(rows[0], rows[2], strict=True))
    assert lecturer == {
        "支払年": "2026",
        "支払を受ける者の氏名又は名称": "鹿屋 花子",
        "郵便番号": "893-0001",
        "住所又は所在地": "鹿児島県鹿屋市打馬1-1",
        "登録番号": paid_2026[0].supplier.registration_number,
        "区分": "報酬・料金",
        "支払金額（税抜）": "40000",
        "源泉徴収税額": "4084",
        "請求書の件数": "1",
        "支払調書の提出（支払金額5万円超）": "要",
    }
    assert [row[5] for row in rows[1:]] == [
        "報酬・料金",
        "報酬・料金",
        "司法書士・土地家屋調査士・海事代理士の報酬",
    ]
    for invoice in paid_2026[:3]:
        (event,) = InvoiceEvent.objects.filter(invoice=invoice, kind=EventKind.EXPORTED)
        assert event.data == {"format": "withholding_statement", "year": 2026}
        assert event.actor == tenant.treasury
    # Neither the corporation's invoice nor last year's payment is in it.
    assert not InvoiceEvent.objects.filter(
        invoice__in=[paid_2026[3], old], kind=EventKind.EXPORTED
    ).exists()


def test_the_treasury_page_shows_the_year_and_downloads_it(client, tenant, paid_year):
    client.force_login(tenant.treasury)
    url = reverse("city:withholding_statement", kwargs={"municipality_slug": "kanoya"})
    page = client.get(url, {"year": "2026"}).content.decode()
    for text in ("鹿屋 花子", "大隅 太郎", "4,084円", "提出が必要", "提出不要"):
        assert text in page, text
    assert "?year=2026" in page
    response = client.get(
        reverse(
            "city:withholding_statement_csv", kwargs={"municipality_slug": "kanoya"}
        ),
        {"year": "2026"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="withholding_2026.csv"'
    )
    assert "鹿屋 花子" in response.content.decode("cp932")
    assert "90,000" not in page  # 2025's payment


def test_a_bad_year_gets_a_japanese_message(client, tenant, settings_row):
    client.force_login(tenant.treasury)
    url = reverse("city:withholding_statement", kwargs={"municipality_slug": "kanoya"})
    page = client.get(url, {"year": "令和8"}).content.decode()
    assert "年は西暦の4桁の数字で入力してください" in page
