"""The heart of the portal as people click it: a supplier types and issues an
invoice, the department opens and returns it, the supplier issues the
correction, the department approves it. Each irreversible step is confirmed
in its dialog (tests/browser/test_confirm.py)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.helpers import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _confirm(page: Page, button: str) -> None:
    """Press ``button`` in the confirmation dialog and wait for the page."""
    with page.expect_navigation():
        page.get_by_role("dialog").get_by_role("button", name=button).click()


def _logout(page: Page):
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="ログアウト").click()


def test_issue_return_correct_and_approve(
    page: Page, live_server, tenant, supplier_user
):
    department = tenant.department.name
    today = timezone.localdate().isoformat()

    # The supplier types the invoice; totals follow as they type.
    login(page, live_server, supplier_user.email, PASSWORD)
    page.get_by_role("link", name="請求書", exact=True).click()
    page.get_by_role("link", name="請求書を作成する").click()
    page.get_by_label("宛先").select_option(label=f"鹿屋市 {department}")
    page.get_by_label("取引日").fill(today)
    page.get_by_label("件名").fill("11月分 事務用品")
    page.get_by_label("1行目の品名・内容").fill("コピー用紙")
    page.get_by_label("1行目の数量").fill("１０")
    page.get_by_label("1行目の単価").fill("１，２００")
    page.get_by_label("2行目の品名・内容").fill("お茶")
    page.get_by_label("2行目の数量").fill("3")
    page.get_by_label("2行目の単価").fill("120")
    page.get_by_label("2行目の税区分").select_option(label="8%（軽減税率）")
    # 12,000 + 1,200 tax; 360 + 28 tax (8% of 360 = 28.8, rounded down).
    expect(page.locator("[data-total]")).to_have_text("13,588円")
    page.get_by_role("button", name="下書きを保存").last.click()
    expect(page.get_by_role("heading", level=2, name="下書き")).to_be_visible()
    page.get_by_role("button", name="発行する").click()
    _confirm(page, "発行を確定する")
    expect(page.get_by_role("main")).to_contain_text("まだ開封されていません")
    _logout(page)

    # The department sees it unopened, opens it and returns it.
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    row = page.get_by_role(
        "row", name=re.compile(supplier_user.supplier_membership.supplier.legal_name)
    )
    expect(row).to_contain_text("未開封")
    row.get_by_role("link").first.click()
    page.get_by_label("差戻しの理由").select_option(label="金額の誤り")
    page.get_by_label("差戻しの説明").fill("コピー用紙は8箱の納品でした。")
    page.get_by_label("軽微（期間を停止）").check()
    page.get_by_role("button", name="差し戻す").click()
    _confirm(page, "差戻しを確定する")
    expect(page.get_by_role("main")).to_contain_text("差戻し")
    _logout(page)

    # The supplier creates the correction in one click and issues it.
    login(page, live_server, supplier_user.email, PASSWORD)
    page.get_by_role("link", name="請求書", exact=True).click()
    page.get_by_role("link", name=re.compile("^2026|^20")).first.click()
    expect(page.get_by_role("main")).to_contain_text("コピー用紙は8箱の納品でした。")
    page.get_by_role("button", name="訂正した請求書を作成").click()
    page.get_by_label("1行目の数量").fill("8")
    expect(page.locator("[data-total]")).to_have_text("10,948円")
    page.get_by_role("button", name="下書きを保存").last.click()
    page.get_by_role("button", name="発行する").click()
    _confirm(page, "発行を確定する")
    expect(page.get_by_role("navigation", name="訂正の経緯")).to_be_visible()
    _logout(page)

    # The department approves the corrected invoice.
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.get_by_role("row", name=re.compile("未開封")).get_by_role("link").first.click()
    expect(page.get_by_role("navigation", name="訂正の経緯")).to_be_visible()
    page.get_by_label("検収日").fill(today)
    page.get_by_role("button", name="承認する").click()
    _confirm(page, "承認を確定する")
    expect(page.get_by_role("main")).to_contain_text("承認済")


def test_discount_line_is_read_and_totalled_as_typed(
    page: Page, live_server, tenant, supplier_user
):
    """The form's script reads ▲ as a minus sign and shows −1,000円, as the
    server does (invoices.forms, the yen filter)."""
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/new/")
    page.get_by_label("1行目の品名・内容").fill("コピー用紙")
    page.get_by_label("1行目の数量").fill("10")
    page.get_by_label("1行目の単価").fill("1,200")
    page.get_by_label("2行目の品名・内容").fill("値引き")
    page.get_by_label("2行目の数量").fill("1")
    page.get_by_label("2行目の単価").fill("▲1,000")
    expect(page.locator("[data-line-amount]").nth(1)).to_have_text("\u22121,000円")
    # 11,000 + 1,100 tax.
    expect(page.locator("[data-total]")).to_have_text("12,100円")
