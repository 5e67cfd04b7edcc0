"""The staff's invoice page (issue 13.11): the invoice first and the
decision (approve, return) after it on a phone, beside it on a wide screen;
and 複製 as a supplier clicks it: a filled form, nothing saved until saved."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from invoices.models import Invoice
from tests.browser.helpers import login
from tests.factories import PASSWORD, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invoice(tenant, supplier_user):
    with scopes_disabled():
        connection = supplier_user.supplier_membership.supplier.connections.get()
        return make_invoice(connection=connection, actor=supplier_user)


def _boxes(page: Page):
    document = page.locator(".invoice-review__document").bounding_box()
    decision = page.get_by_role("heading", name="承認・差戻し").bounding_box()
    return document, decision


def test_the_decision_follows_the_invoice_or_stands_beside_it(
    page: Page, live_server, tenant, invoice
):
    url = reverse("city:invoice", args=[tenant.municipality.slug, invoice.pk])
    login(page, live_server, tenant.department_staff.email, PASSWORD)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{url}")
    document, decision = _boxes(page)
    assert decision["x"] >= document["x"] + document["width"]  # to its right
    assert decision["y"] < document["y"] + document["height"]  # beside it

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    document, decision = _boxes(page)
    assert decision["y"] >= document["y"] + document["height"]  # below it
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 390


def test_copy_opens_a_filled_form_and_saves_only_when_saved(
    page: Page, live_server, supplier_user, invoice
):
    supplier = supplier_user.supplier_membership.supplier

    def count():
        with scopes_disabled():
            return Invoice.objects.filter(supplier=supplier).count()

    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('supplier:invoice', args=[invoice.pk])}")
    page.get_by_role("link", name="複製して新しい請求書を作る").click()
    expect(page.get_by_role("main")).to_contain_text("保存するまでは何も作られません")
    expect(page.get_by_label("1行目の品名・内容")).to_have_value("コピー用紙 A4")
    assert count() == 1
    page.get_by_label("1行目の明細備考").fill("12月分")
    page.get_by_role("button", name="下書きを保存").last.click()
    expect(page.get_by_role("heading", level=2, name="下書き")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("12月分")
    assert count() == 2
