"""A city administrator invites a staff member on a phone (390 px); the
invitee follows the mail's link, sets a password and reaches the city's
pages with the role they were given. No page scrolls sideways, the
department pages included."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import login
from tests.factories import PASSWORD

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
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def test_a_city_admin_invites_staff_who_accept_and_set_a_password(
    phone, live_server, tenant
):
    mail.outbox.clear()
    page = phone
    login(page, live_server, tenant.city_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/manage/")
    page.get_by_role("link", name="職員の管理（招待・役割・利用停止）").click()
    _no_sideways_scroll(page)
    page.get_by_role("link", name="職員を招待する").click()
    page.get_by_label("招待する職員のメールアドレス").fill("tanto@kanoya.example.jp")
    page.get_by_label("部署担当者").check()
    page.get_by_label(f"{tenant.department.code} {tenant.department.name}").check()
    _no_sideways_scroll(page)
    page.get_by_role("button", name="招待メールを送る").click()
    expect(page.get_by_role("status")).to_contain_text(
        "tanto@kanoya.example.jp に職員の招待メールを送信しました"
    )
    expect(page.get_by_test_id("staff-invitation")).to_contain_text(
        "tanto@kanoya.example.jp"
    )
    _no_sideways_scroll(page)
    # The department pages fit the phone too.
    page.get_by_role("link", name="部署の管理").click()
    _no_sideways_scroll(page)
    page.get_by_role("link", name="無効にする").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("無効にしますか")
    _no_sideways_scroll(page)
    page.goto(f"{live_server.url}/m/kanoya/manage/departments/import/")
    _no_sideways_scroll(page)
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="ログアウト").click()

    invitation = mail.outbox[-1]
    assert invitation.to == ["tanto@kanoya.example.jp"]
    link = re.search(r"https?://[^/\s]+(/invitations/staff/[\w-]+/)", invitation.body)
    page.goto(live_server.url + link.group(1))
    expect(page.get_by_role("heading", level=1)).to_contain_text("職員として参加")
    _no_sideways_scroll(page)
    page.get_by_label("氏名").fill("鹿屋 花子")
    page.get_by_label("パスワード", exact=True).fill("kanoya-2026-staff")
    page.get_by_label("パスワード（確認）").fill("kanoya-2026-staff")
    page.get_by_role("button", name="アカウントを作成して参加する").click()
    expect(page.get_by_role("status")).to_contain_text("職員として参加しました")

    # The new staff member reaches their department's inbox.
    page.goto(f"{live_server.url}/m/kanoya/inbox/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/accounts/login/" not in page.url
