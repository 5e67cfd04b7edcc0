"""An issued invoice's PDF, downloaded from its page by the supplier and by
the department."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from partners.models import Connection
from tests.browser.helpers import login
from tests.factories import PASSWORD, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _download(page: Page) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name="PDFをダウンロード").click()
    return info.value.path().read_bytes()


def test_supplier_and_department_download_the_pdf(
    page: Page, live_server, tenant, supplier_user
):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        invoice = make_invoice(connection=connection, actor=supplier_user)

    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/{invoice.pk}/")
    assert _download(page).startswith(b"%PDF")

    page.context.clear_cookies()
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/invoices/{invoice.pk}/")
    assert _download(page).startswith(b"%PDF")
    # Both downloads are in the history.
    page.reload()
    expect(page.locator(".history li", has_text="ダウンロード")).to_have_count(2)
