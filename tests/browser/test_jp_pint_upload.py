"""The JP PINT upload as a supplier clicks it on a phone (390 px): the
official minimum example is uploaded, previewed, confirmed, and opens as an
invoice with its original XML one click away; a file with a mistake shows
the problem with its rule ID and imports nothing."""

from pathlib import Path

import pytest
from django.conf import settings
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from invoices.models import Invoice
from tests.browser.helpers import login
from tests.conftest import make_tenant
from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    SupplierFactory,
    SupplierMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINIMUM = "jp-pint/billing/examples/Japan PINT Invoice UBL Example1-minimum.xml"
RETURN = "jp-pint/billing/examples/Japan PINT Invoice UBL Example7-Return.Quan.ItPr.xml"


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _upload(page: Page, path: Path) -> None:
    page.get_by_role("link", name="デジタルインボイス（XML）をアップロード").click()
    _fits(page)
    page.get_by_label("JP PINTのXMLファイル、またはZIP").set_input_files(
        {"name": path.name, "mimeType": "application/xml", "buffer": path.read_bytes()}
    )
    page.get_by_role("button", name="アップロードして内容を確認").click()


def test_upload_preview_confirm_at_390px(page: Page, live_server):
    artifacts = Path(
        settings.PEPPOL_ARTIFACTS_DIR or settings.BASE_DIR.parent / "shared/peppol"
    )
    with scopes_disabled():
        tenant = make_tenant(
            name="例示市",
            name_kana="レイジシ",
            local_government_code="999997",
            corporate_number="3210987654321",
            slug="example-city",
        )
        supplier = SupplierFactory(
            registration_number="T1234567890123", corporate_number="1234567890123"
        )
        owner = SupplierMembershipFactory(supplier=supplier).user
        ConnectionFactory(supplier=supplier, department=tenant.department)

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, owner.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/")

    _upload(page, artifacts / RETURN)
    expect(page.get_by_role("alert")).to_contain_text("何も取り込んでいません")
    expect(page.get_by_text("portal-negative-total")).to_be_visible()
    _fits(page)

    page.goto(f"{live_server.url}/supplier/invoices/")
    _upload(page, artifacts / MINIMUM)
    expect(page.get_by_role("heading", name="取り込む内容の確認")).to_be_visible()
    expect(page.get_by_role("row", name="156")).to_contain_text("281,240")
    _fits(page)
    page.get_by_role("button", name="1件の請求書を発行する").click()
    expect(page.get_by_role("status")).to_contain_text("請求書 1件を発行しました")
    _fits(page)
    page.get_by_role("link", name="156").click()
    expect(page.get_by_role("link", name="受信した原本（XML）")).to_be_visible()
    _fits(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="受信した原本（XML）").click()
    assert (
        Path(download.value.path()).read_bytes() == (artifacts / MINIMUM).read_bytes()
    )
    with scopes_disabled():
        assert Invoice.objects.get().number == "156"
