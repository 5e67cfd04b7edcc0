"""The payee account in a browser, without any script of ours: a supplier
without an account is warned and issues anyway; the account it registers
later is chosen by the treasury (highlighted as new) with a reason, after
which the invoice can be batched. A supplier with two accounts picks the
one its next invoice names."""

import re

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from invoices.models import Invoice
from invoices.services.decisions import invoice_approve
from municipality.models import PayeeChoice
from tests.browser.helpers import login
from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    SupplierMembershipFactory,
    make_invoice,
)
from tests.municipality.test_treasury_support import make_bank_account, make_settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invoice_without_an_account_is_paid_to_the_one_chosen_later(
    page: Page, live_server, tenant
):
    membership = SupplierMembershipFactory()
    supplier, owner = membership.supplier, membership.user
    connection = ConnectionFactory(supplier=supplier, department=tenant.department)
    with scopes_disabled():
        make_settings(tenant.municipality)
        draft = make_invoice(connection=connection, actor=owner, issue=False)

    login(page, live_server, owner.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/{draft.pk}/")
    warning = page.get_by_test_id("no-bank-account")
    expect(warning).to_contain_text("振込先口座が登録されていません")
    expect(warning.get_by_role("link", name="振込先口座を登録する")).to_be_visible()
    page.get_by_role("button", name="発行する").click()
    dialog = page.get_by_role("dialog", name="請求書の発行")
    expect(dialog.get_by_test_id("no-bank-account")).to_be_visible()
    dialog.get_by_role("button", name="発行を確定する").click()
    expect(page.locator(".message--success")).to_contain_text("請求書を発行しました")

    with scopes_disabled():
        invoice = invoice_approve(
            invoice=Invoice.objects.get(pk=draft.pk),
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
        )
    make_bank_account(supplier, account_number="7777777")

    page.context.clear_cookies()
    login(page, live_server, tenant.treasury.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/treasury/payables/")
    expect(page.get_by_test_id("payee-flag")).to_contain_text("振込先の記載なし")
    page.get_by_role("link", name=re.compile("^振込先を指定")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("振込先の指定")
    expect(page.get_by_test_id("recent-account")).to_contain_text("30日以内に変更")
    page.get_by_label(re.compile("7777777")).check()
    page.get_by_label("この口座に振り込む理由").fill("取引先に電話で口座を確認した。")
    page.get_by_role("button", name="この口座に振り込む").click()
    # It asks first, in a dialog: the account money will go to.
    dialog = page.get_by_role("dialog", name="振込先の指定")
    expect(dialog.get_by_test_id("confirm-payee")).to_contain_text("7777777")
    dialog.get_by_role("button", name="振込先の指定を確定する").click()
    expect(page.locator(".message--success")).to_contain_text("振込先を指定しました")
    expect(page.get_by_label(f"{invoice.number}（", exact=False)).to_be_visible()
    with scopes_disabled():
        choice = PayeeChoice.objects.get(invoice=invoice)
    assert choice.bank_account["account_number"] == "7777777"


def test_the_supplier_chooses_the_account_its_invoice_names(
    page: Page, live_server, tenant, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    with scopes_disabled():
        draft = make_invoice(
            connection=supplier.connections.get(), actor=supplier_user, issue=False
        )
    make_bank_account(supplier, account_number="1111111")
    make_bank_account(supplier, account_number="2222222")  # the default

    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/{draft.pk}/")
    expect(page.get_by_label(re.compile("2222222"))).to_be_checked()
    page.get_by_label(re.compile("1111111")).check()
    page.get_by_role("button", name="発行する").click()
    dialog = page.get_by_role("dialog", name="請求書の発行")
    expect(dialog.get_by_test_id("confirm-bank-account")).to_contain_text("1111111")
    dialog.get_by_role("button", name="発行を確定する").click()
    expect(page.locator(".message--success")).to_contain_text("請求書を発行しました")
    expect(page.locator(".invoice-document__bank")).to_contain_text("1111111")
