"""Irreversible actions ask first, in the browser: with JavaScript the
question comes in a dialog over the page (static/js/confirm.js, under the
Content-Security-Policy), without it on a confirmation page; either way
nothing happens before the second click. Bulk issue and bulk approve go
the same way."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Browser, Page, expect

from invoices.models import Invoice, InvoiceStatus
from invoices.services.decisions import invoice_view_record
from invoices.services.drafts import LineInput
from municipality.treasury.services.batch_moves import batch_export
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import login
from tests.browser.test_content_security_policy import PolicyWatch
from tests.browser.test_phone_width import LONG_NAME, PHONE, _overflow
from tests.factories import PASSWORD, make_invoice, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _status(invoice) -> str:
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk).status


def _issue(supplier_user, *, issue=True, subject="事務用品"):
    with scopes_disabled():
        connection = supplier_user.supplier_membership.supplier.connections.get()
        return make_invoice(
            connection=connection,
            actor=supplier_user,
            issue=issue,
            subject=subject,
            lines=[LineInput("電気料金", Decimal(1), Decimal(5400), "S", "式")],
        )


def _opened(tenant, supplier_user, **fields):
    invoice = _issue(supplier_user, **fields)
    with scopes_disabled():
        return invoice_view_record(invoice=invoice, actor=tenant.department_staff)


@pytest.fixture
def no_script_page(browser: Browser, live_server) -> Iterator[Page]:
    """A page of a browser with JavaScript turned off."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        java_script_enabled=False,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_approve_in_the_dialog(page: Page, live_server, tenant, supplier_user):
    watch = PolicyWatch(page)
    invoice = _opened(tenant, supplier_user)
    inspected = timezone.localdate() - timedelta(days=1)
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/invoices/{invoice.pk}/")

    page.get_by_label("検収日").fill(inspected.isoformat())
    page.get_by_role("button", name="承認する").click()
    dialog = page.get_by_role("dialog", name="請求書の承認")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(invoice.number)
    expect(dialog).to_contain_text("5,940円")
    expect(dialog).to_contain_text(
        f"{inspected.year}年{inspected.month}月{inspected.day}日"
    )
    expect(dialog).to_contain_text("承認は取り消せません")

    # やめる closes the dialog and changes nothing.
    dialog.get_by_role("link", name="やめる").click()
    expect(dialog).to_be_hidden()
    assert _status(invoice) == InvoiceStatus.OPENED

    page.get_by_role("button", name="承認する").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="承認を確定する").click()
    expect(page.locator(".message--success")).to_contain_text("請求書を承認しました。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("承認済")
    with scopes_disabled():
        approved = Invoice.objects.get(pk=invoice.pk)
    assert (approved.status, approved.inspection_date) == (
        InvoiceStatus.APPROVED,
        inspected,
    )
    watch.collect()
    watch.assert_clean()


def test_approve_without_javascript_on_the_confirmation_page(
    no_script_page: Page, live_server, tenant, supplier_user
):
    page = no_script_page
    invoice = _opened(tenant, supplier_user)
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/invoices/{invoice.pk}/")

    with page.expect_navigation():
        page.get_by_role("button", name="承認する").click()
    assert page.url.endswith(f"/invoices/{invoice.pk}/approve/")
    expect(page.get_by_role("heading", level=1)).to_have_text("請求書の承認")
    main = page.get_by_role("main")
    expect(main).to_contain_text(invoice.number)
    expect(main).to_contain_text("5,940円")
    expect(main).to_contain_text("承認は取り消せません")
    assert _status(invoice) == InvoiceStatus.OPENED

    with page.expect_navigation():
        page.get_by_role("button", name="承認を確定する").click()
    expect(page.locator(".message--success")).to_contain_text("請求書を承認しました。")
    assert _status(invoice) == InvoiceStatus.APPROVED


def test_return_without_javascript_goes_back_with_cancel(
    no_script_page: Page, live_server, tenant, supplier_user
):
    page = no_script_page
    invoice = _opened(tenant, supplier_user)
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/invoices/{invoice.pk}/")
    page.get_by_label("差戻しの理由").select_option(label="金額の誤り")
    page.get_by_label("差戻しの説明").fill("単価が違います。")
    page.get_by_label("軽微（期間を停止）").check()

    with page.expect_navigation():
        page.get_by_role("button", name="差し戻す").click()
    expect(page.get_by_role("main")).to_contain_text("単価が違います。")
    with page.expect_navigation():
        page.get_by_role("link", name="やめる").click()

    assert page.url.endswith(f"/m/kanoya/invoices/{invoice.pk}/")
    assert _status(invoice) == InvoiceStatus.OPENED


def test_bulk_issue_in_the_dialog(page: Page, live_server, supplier_user):
    watch = PolicyWatch(page)
    drafts = [
        _issue(supplier_user, issue=False, subject=f"電気料金 {month}月分")
        for month in (4, 5)
    ]
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/")

    for draft in drafts:
        page.get_by_label(f"下書き {draft.number} を選ぶ").check()
    page.get_by_role("button", name="まとめて発行").click()
    dialog = page.get_by_role("dialog", name="まとめて発行")
    expect(dialog).to_contain_text("電気料金 4月分")
    expect(dialog).to_contain_text("電気料金 5月分")
    expect(dialog).to_contain_text("11,880円")
    with page.expect_navigation():
        dialog.get_by_role("button", name="まとめて発行を確定する").click()

    success = page.locator(".message--success")
    expect(success).to_contain_text("2 件の請求書を発行しました")
    assert [_status(draft) for draft in drafts] == [InvoiceStatus.ISSUED] * 2
    watch.collect()
    watch.assert_clean()


def test_bulk_approve_without_javascript(
    no_script_page: Page, live_server, tenant, supplier_user
):
    page = no_script_page
    invoices = [
        _opened(tenant, supplier_user, subject=f"電気料金 {month}月分")
        for month in (4, 5)
    ]
    unopened = _issue(supplier_user)
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/inbox/")
    expect(page.get_by_label(f"の請求書 {unopened.number} を選ぶ")).to_have_count(0)

    for invoice in invoices:
        page.get_by_label(f"の請求書 {invoice.number} を選ぶ").check()
    with page.expect_navigation():
        page.get_by_role("button", name="まとめて承認").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("まとめて承認")
    expect(page.get_by_role("main")).to_contain_text("2 件の請求書を承認します")
    assert {_status(invoice) for invoice in invoices} == {InvoiceStatus.OPENED}

    with page.expect_navigation():
        page.get_by_role("button", name="まとめて承認を確定する").click()
    success = page.locator(".message--success")
    expect(success).to_contain_text("2 件の請求書を承認しました")
    assert {_status(invoice) for invoice in invoices} == {InvoiceStatus.APPROVED}
    assert _status(unopened) == InvoiceStatus.ISSUED


def test_confirmation_pages_and_dialog_fit_a_phone(
    page: Page, live_server, tenant, supplier_user
):
    """Every confirmation page, with a long supplier name, subject and
    item, at 390 px: no sideways scroll; nor with the dialog open."""
    with scopes_disabled():
        supplier = supplier_user.supplier_membership.supplier
        supplier.legal_name = "株式会社鹿屋事務機器販売サービスセンター南九州支店営業部"
        supplier.save(update_fields=["legal_name"])
        connection = supplier.connections.get()
        long = {
            "subject": LONG_NAME,
            "lines": [LineInput(LONG_NAME, Decimal(3), Decimal(41_152_263), "S", "式")],
        }
        draft = make_invoice(
            connection=connection, actor=supplier_user, issue=False, **long
        )
        unopened = make_invoice(connection=connection, actor=supplier_user, **long)
        opened = invoice_view_record(
            invoice=make_invoice(connection=connection, actor=supplier_user, **long),
            actor=tenant.department_staff,
        )
        make_settings(tenant.municipality)
        payee, payee_connection = make_supplier(tenant.department)
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        batch_add_invoices(
            batch=batch,
            invoice_ids=[make_approved(tenant, payee, payee_connection).pk],
            actor=tenant.treasury,
        )
        batch_export(batch=batch, actor=tenant.treasury)
        payment_day_reached(batch)
    page.set_viewport_size(PHONE)
    city = "/m/kanoya"
    today = timezone.localdate().isoformat()
    visits = {
        supplier_user: [
            f"/supplier/invoices/{draft.pk}/issue/",
            f"/supplier/invoices/{unopened.pk}/withdraw/",
            f"/supplier/invoices/bulk-issue/?invoices={draft.pk}",
        ],
        tenant.department_staff: [
            f"{city}/invoices/{opened.pk}/approve/",
            f"{city}/invoices/{opened.pk}/return/",
            f"{city}/invoices/bulk-approve/?invoices={opened.pk}"
            f"&inspection_date={today}",
        ],
        tenant.treasury: [
            f"{city}/treasury/batches/{batch.pk}/paid/",
            f"{city}/treasury/batches/{batch.pk}/cancel/",
        ],
    }
    offences = {}
    for user, urls in visits.items():
        page.context.clear_cookies()
        login(page, live_server, user.email, PASSWORD)
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            expect(page.locator("[data-confirm-page]")).to_be_visible()
            if found := _overflow(page):
                offences[url] = found
    # The dialog over the staff member's invoice page.
    page.context.clear_cookies()
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}{city}/invoices/{opened.pk}/")
    page.get_by_role("button", name="承認する").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    if found := _overflow(page):
        offences["the approval dialog"] = found
    box = page.get_by_role("dialog").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert not offences, offences
