"""Choosing the bank and branch by name or kana on the payee account form,
with the script (results as you type) at phone width."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bank_and_branch_are_chosen_by_kana_as_you_type(
    page: Page, live_server, supplier_user
):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/bank-accounts/add/")

    page.get_by_label("金融機関名").fill("ﾐｽﾞﾎ")
    page.get_by_role("link", name="みずほ（ﾐｽﾞﾎ） 0001").click()
    expect(page.get_by_label("金融機関コード")).to_have_value("0001")
    expect(page.get_by_label("支店名")).to_be_focused()

    page.get_by_label("支店名").fill("とうきょう")
    page.get_by_role("link", name="東京営業部（ﾄｳｷﾖｳ） 001").click()
    expect(page.get_by_label("支店コード（店番）")).to_have_value("001")
    expect(page.get_by_text("東京営業部（ﾄｳｷﾖｳ）")).to_be_visible()
    # The script filled the form in place: nothing was reloaded.
    assert page.url.endswith("/supplier/bank-accounts/add/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
