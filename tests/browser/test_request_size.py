"""A file over the request limit, chosen in the browser: the portal answers
with its page saying what to do, without reading the file."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from invoices.models import InvoiceImport
from tests.browser.helpers import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csv_over_the_limit_gets_the_page_that_says_what_to_do(
    page: Page, live_server, supplier_user, tmp_path
):
    too_large = tmp_path / "大きすぎる.csv"
    too_large.write_bytes(b"a" * (settings.REQUEST_BODY_MAX_BYTES + 1))
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/import/")
    page.get_by_label("CSVファイル").set_input_files(too_large)
    page.get_by_label("下書きとして取り込む").check()
    with page.expect_response("**/supplier/invoices/import/") as answer:
        page.get_by_role("button", name="アップロードして内容を確認").click()

    assert answer.value.status == 413
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "送信できる大きさを超えています"
    )
    expect(page.get_by_role("main")).to_contain_text("合計20MBまで")
    expect(page).to_have_title("送信できる大きさを超えています | 請求書ポータル")
    assert not InvoiceImport.objects.exists()
