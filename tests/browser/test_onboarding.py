"""The onboarding journey as people click it: a supplier asks to be invited,
the city approves, the invitation mail's link leads to sign-up, and the
supplier can then bill the department."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.browser.helpers import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_request_approval_email_and_acceptance(page: Page, live_server, tenant):
    mail.outbox.clear()
    # A supplier fills in the public request form.
    page.goto(f"{live_server.url}/p/kanoya/request/")
    page.get_by_label("事業者名", exact=True).fill("株式会社きもつき工務店")
    page.get_by_label("事業者名（カナ）").fill("かぶしきがいしゃきもつきこうむてん")
    page.get_by_label("登録番号").fill("T9011101097073")
    page.get_by_label("担当者名").fill("肝付 次郎")
    page.get_by_label("メールアドレス").fill("jiro@kimotsuki.example.jp")
    page.get_by_label("電話番号").fill("0994-00-1111")
    page.get_by_label(tenant.department.name).check()
    page.get_by_role("button", name="申請を送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")
    assert mail.outbox[0].to == ["jiro@kimotsuki.example.jp"]

    # The city administrator approves it from the console.
    login(page, live_server, tenant.city_admin.email, PASSWORD)
    page.get_by_role("link", name="取引先の招待").click()
    page.get_by_role("link", name="株式会社きもつき工務店").click()
    page.get_by_role("button", name="承認して招待メールを送る").click()
    expect(page.get_by_role("status")).to_contain_text("1件の招待メールを送信しました")
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="ログアウト").click()

    # The supplier follows the link in the invitation mail and signs up.
    invitation = mail.outbox[-1]
    assert invitation.to == ["jiro@kimotsuki.example.jp"]
    link = re.search(r"http://127\.0\.0\.1:8000(/invitations/[\w-]+/)", invitation.body)
    page.goto(live_server.url + link.group(1))
    expect(page.get_by_label("名称（法人名・屋号）")).to_have_value(
        "株式会社きもつき工務店"
    )
    page.get_by_label("氏名").fill("肝付 次郎")
    page.get_by_label("パスワード", exact=True).fill("kimotsuki-2026-pass")
    page.get_by_label("パスワード（確認）").fill("kimotsuki-2026-pass")
    page.get_by_label("所在地").fill("鹿児島県肝属郡肝付町新富98番地")
    page.get_by_role("button", name="招待を承諾する").click()

    # Logged in, on the supplier home, connected to the department.
    expect(page).to_have_url(f"{live_server.url}/supplier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("株式会社きもつき工務店")
    expect(page.get_by_role("table", name="登録済みの部署の一覧")).to_contain_text(
        tenant.department.name
    )


def test_request_naming_an_existing_supplier_is_accepted_by_its_owner(
    page: Page, live_server, tenant, supplier_user
):
    """Someone asks with a registered supplier's number and their own
    address: the city sees who will be asked, the owner accepts, and the
    requester never gets into the supplier."""
    mail.outbox.clear()
    supplier = supplier_user.supplier_membership.supplier
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/p/kanoya/request/")
    page.get_by_label("事業者名", exact=True).fill(supplier.legal_name)
    page.get_by_label("事業者名（カナ）").fill("てすとしょうじ")
    page.get_by_label("登録番号").fill(supplier.registration_number)
    page.get_by_label("担当者名").fill("名乗 三郎")
    page.get_by_label("メールアドレス").fill("saburo@elsewhere.example.jp")
    page.get_by_label("電話番号").fill("0994-00-2222")
    page.get_by_label(tenant.other_department.name).check()
    page.get_by_role("button", name="申請を送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")

    # The city administrator sees the supplier exists and whom it will ask.
    login(page, live_server, tenant.city_admin.email, PASSWORD)
    page.get_by_role("link", name="取引先の招待").click()
    page.get_by_role("link", name=supplier.legal_name).click()
    expect(
        page.get_by_role("heading", name="この登録番号の取引先は既に登録されています")
    ).to_be_visible()
    expect(page.get_by_text("管理者 1名に確認のメールを送ります")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(supplier_user.email)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="承認して招待メールを送る").click()
    expect(page.get_by_role("status")).to_contain_text("取引先の管理者 1名に")
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="ログアウト").click()

    # The requester is told, without a link; the owner gets the link.
    confirmation, notice = [
        m for m in mail.outbox if m.to == ["saburo@elsewhere.example.jp"]
    ]
    assert "管理者に承諾を依頼しました" in notice.subject
    assert "/invitations/" not in confirmation.body + notice.body
    (invitation,) = [m for m in mail.outbox if m.to == [supplier_user.email]]
    link = re.search(r"http://127\.0\.0\.1:8000(/invitations/[\w-]+/)", invitation.body)

    # Without logging in, the link offers no sign-up.
    page.goto(live_server.url + link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "取引先の管理者のアカウントでログインしてください"
    )
    expect(page.get_by_label("パスワード（確認）")).to_have_count(0)

    # The owner logs in and accepts.
    page.get_by_role("link", name="ログインして承諾する").click()
    page.get_by_label("メールアドレス").fill(supplier_user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("招待の承諾")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="招待を承諾する").click()
    expect(page).to_have_url(f"{live_server.url}/supplier/")
    expect(page.get_by_role("table", name="登録済みの部署の一覧")).to_contain_text(
        tenant.other_department.name
    )
