"""An issued invoice's JP PINT XML, downloaded from its page by the
supplier and by the department, on a phone-sized screen."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from partners.models import Connection
from tests.browser.helpers import login
from tests.factories import PASSWORD, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


LINK = "デジタルインボイス（XML）をダウンロード"


def _fits(page: Page) -> bool:
    """The link fits a 390 px screen. (The invoice's own tables are wider
    than that today; that is not this link's doing.)"""
    box = page.get_by_role("link", name=LINK).bounding_box()
    return box["x"] >= 0 and box["x"] + box["width"] <= 390


def _download(page: Page) -> bytes:
    assert _fits(page)
    with page.expect_download() as info:
        page.get_by_role("link", name=LINK).click()
    assert info.value.suggested_filename.endswith(".xml")
    return info.value.path().read_bytes()


def test_supplier_and_department_download_the_xml(
    page: Page, live_server, tenant, supplier_user
):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        invoice = make_invoice(connection=connection, actor=supplier_user)
    page.set_viewport_size({"width": 390, "height": 844})

    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/{invoice.pk}/")
    assert b"urn:peppol:pint:billing-1@jp-1" in _download(page)

    page.context.clear_cookies()
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/invoices/{invoice.pk}/")
    assert invoice.number.encode() in _download(page)
    # Both downloads are in the history.
    page.reload()
    expect(page.locator(".history li", has_text="ダウンロード")).to_have_count(2)
