"""The treasury pays two approved invoices: a batch for a bank business day,
the invoices added from the payables list, the Zengin file exported and
downloaded, the batch marked paid; then the supplier reads its payment
notice."""

import re

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from municipality.models import PaymentBatch
from tests.browser.helpers import login
from tests.factories import PASSWORD, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_treasury_pays_and_the_supplier_sees_the_notice(
    page: Page, live_server, tenant
):
    payday = business_day_after(timezone.localdate())
    with scopes_disabled():
        make_settings(tenant.municipality)
        supplier_user, connection = make_supplier(tenant.department)
        invoices = [make_approved(tenant, supplier_user, connection) for _ in range(2)]

    login(page, live_server, tenant.treasury.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/treasury/")
    page.get_by_role("link", name="支払バッチの一覧・作成").click()
    page.get_by_label("支払日（振込指定日）").fill(payday.isoformat())
    page.get_by_role("button", name="作成する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("支払バッチ")

    page.get_by_role("link", name="支払対象の請求書から追加する").click()
    for invoice in invoices:
        page.get_by_label(f"{invoice.number}（", exact=False).check()
    page.get_by_role("button", name="選択した請求書をバッチに追加").click()
    expect(page.locator(".message--success")).to_contain_text("2 件の請求書")

    page.get_by_role("button", name="振込データを作成").click()
    # It asks first, in a dialog over the batch page.
    dialog = page.get_by_role("dialog", name="振込データの作成")
    expect(dialog).to_contain_text("2 件の請求書が支払予定になり")
    dialog.get_by_role("button", name="振込データの作成を確定する").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("振込データ作成済")
    with page.expect_download() as info:
        page.get_by_role("link", name="振込データをダウンロード").click()
    data = info.value.path().read_bytes()
    # One transfer: header, data, trailer and end record, 120 bytes + CRLF each.
    assert data.startswith(b"1")
    assert len(data) == 4 * 122

    # Before the payment date the page says when; on the day it can be done.
    expect(page.get_by_text("になると「支払済にする」を押せます")).to_be_visible()
    expect(page.get_by_role("button", name="支払済にする")).to_have_count(0)
    with scopes_disabled():
        payment_day_reached(PaymentBatch.objects.get(municipality=tenant.municipality))
    page.reload()
    page.get_by_role("button", name="支払済にする").click()
    dialog = page.get_by_role("dialog", name="支払済にする")
    expect(dialog).to_contain_text("元に戻せません")
    with page.expect_navigation():
        dialog.get_by_role("button", name="支払済を確定する").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("支払済")

    page.context.clear_cookies()
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/{invoices[0].pk}/")
    expect(page.get_by_text("支払日:")).to_be_visible()
    # From the invoice's page to the notice that paid it.
    page.get_by_role("main").get_by_role("link", name=re.compile("^支払通知 ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("支払通知")
    for invoice in invoices:
        expect(page.get_by_role("cell", name=invoice.receipt_number)).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="PDFをダウンロード").click()
    assert info.value.path().read_bytes().startswith(b"%PDF")
