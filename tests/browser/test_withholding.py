"""源泉徴収 in the browser, on a phone (390 px): a sole proprietor marks a
fee line, sees the withheld tax and the net follow as they type, saves and
reads the four figures; the treasury reads the year's 支払調書 summary.
Neither page scrolls sideways."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from invoices.services.drafts import LineInput
from municipality.models import PaymentBatch
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from partners.models import LegalForm
from tests.browser.helpers import login
from tests.factories import PASSWORD, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_bank_account,
    make_settings,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"


@pytest.fixture
def individual(supplier_user):
    supplier = supplier_user.supplier_membership.supplier
    supplier.legal_form = LegalForm.INDIVIDUAL
    supplier.save()
    return supplier


def test_a_sole_proprietor_enters_a_fee_with_withholding_on_a_phone(
    page: Page, live_server, tenant, supplier_user, individual
):
    page.set_viewport_size(PHONE)
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('supplier:invoice_new')}")
    page.get_by_label("取引日").fill(timezone.localdate().isoformat())
    page.get_by_label("1行目の品名・内容").fill("講演料（市民講座）")
    page.get_by_label("1行目の数量").fill("1")
    page.get_by_label("1行目の単価").fill("100,000")
    page.get_by_label("1行目を源泉徴収の対象にする").check()
    page.get_by_label("2行目の品名・内容").fill("交通費")
    page.get_by_label("2行目の数量").fill("1")
    page.get_by_label("2行目の単価").fill("5000")
    # The script mirrors the server: 100,000 × 10.21% withheld.
    expect(page.locator("[data-withholding-tax]")).to_have_text("10,210円")
    expect(page.locator("[data-net-total]")).to_have_text("105,290円")
    page.get_by_label("司法書士・土地家屋調査士・海事代理士の報酬", exact=False).check()
    expect(page.locator("[data-withholding-tax]")).to_have_text("9,189円")
    page.get_by_label("報酬・料金（10.21%", exact=False).check()
    _fits(page)
    page.get_by_role("button", name="下書きを保存").last.click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("源泉徴収税額")
    for figure in ("105,000円", "10,500円", "10,210円", "105,290円"):
        expect(main).to_contain_text(figure)
    _fits(page)


def test_the_treasury_reads_the_yearly_summary_on_a_phone(
    page: Page, live_server, tenant, supplier_user, individual
):
    with scopes_disabled():
        connection = individual.connections.get()
        make_bank_account(individual)
        make_settings(tenant.municipality)
        fee = LineInput(
            "講演料", Decimal(1), Decimal(60_000), "S", "式", withholding=True
        )
        invoice = make_approved(tenant, supplier_user, connection, lines=[fee])
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
        batch_export(batch=batch, actor=tenant.treasury)
        batch_mark_paid(batch=payment_day_reached(batch), actor=tenant.treasury)
        PaymentBatch._base_manager.filter(pk=batch.pk).update(
            payment_date=date(2026, 3, 31)
        )
    page.set_viewport_size(PHONE)
    login(page, live_server, tenant.treasury.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/treasury/")
    page.get_by_role("link", name="源泉徴収（支払調書の集計）").click()
    page.get_by_label("支払の年（1月〜12月）").fill("2026")
    page.get_by_role("button", name="表示する").click()
    row = page.get_by_role("row", name=individual.legal_name)
    expect(row).to_contain_text("6,126円")  # 60,000 × 10.21%
    expect(row).to_contain_text("提出が必要")
    _fits(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="CSVをダウンロード").click()
    assert individual.legal_name in info.value.path().read_bytes().decode("cp932")
