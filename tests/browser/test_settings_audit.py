"""On a phone (390 px): a city administrator turns four-eyes approval off
and finds the change, with who made it and the values before and after, on
the audit page (設定・権限の変更履歴); a supplier owner changes a role and
sees it on the members page. No page scrolls sideways."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Browser, Page, expect

from partners.models import SupplierRole
from tests.browser.helpers import login
from tests.factories import PASSWORD, SupplierMembershipFactory
from tests.municipality.test_treasury_support import make_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport=PHONE,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => "
        "e.getBoundingClientRect().right > 390).slice(0, 5).map(e => "
        "e.tagName + '.' + e.className)"
    )
    assert width <= PHONE["width"], f"{page.url} is {width}px wide: {wide}"


def test_city_admin_sees_the_four_eyes_change_on_a_phone(phone, live_server, tenant):
    with scopes_disabled():
        make_settings(tenant.municipality, four_eyes=True)
    page = phone
    login(page, live_server, tenant.city_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/manage/treasury-settings/")
    page.get_by_label("支払の承認を必須にする").uncheck()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".message--success")).to_contain_text("会計の設定を保存")

    page.goto(f"{live_server.url}/m/kanoya/manage/")
    _no_sideways_scroll(page)
    page.get_by_role("link", name="設定・権限の変更履歴").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("設定・権限の変更履歴")
    entry = page.locator(".settings-history > li").first
    expect(entry).to_contain_text("会計の設定（変更）")
    expect(entry).to_contain_text(tenant.city_admin.email)
    expect(entry).to_contain_text("支払の承認を必須にする: 有効 → 無効")
    _no_sideways_scroll(page)


def test_an_owner_sees_a_role_change_on_the_members_page_on_a_phone(
    phone, live_server, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    clerk = SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK)
    page = phone
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/members/")
    page.get_by_label(f"{clerk.user} さんの役割").select_option(SupplierRole.OWNER)
    page.locator(f"#role-{clerk.pk}").locator("..").get_by_role(
        "button", name="変更"
    ).click()
    entry = page.locator(".settings-history > li").first
    expect(entry).to_contain_text("取引先の利用者の役割（変更）")
    expect(entry).to_contain_text("役割: 担当者 → 管理者")
    _no_sideways_scroll(page)
