"""発注 → 受注 → 納品 → 検収 → 請求 as people click it: the department
orders, the supplier confirms (請書) and delivers twice, the department
inspects both deliveries, the supplier drafts the monthly invoice from them
and issues it, and the department sees it match (「一致」) and approves it
in one confirmation. The invoice page with its match is then read on a
phone: nothing sticks out sideways."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from municipality.fiscal import fiscal_year_of
from procurement.models import Delivery, Order
from tests.browser.helpers import login
from tests.factories import PASSWORD
from tests.procurement.conftest import make_budget_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _logout(page: Page):
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="ログアウト").click()


def _city(tenant, name, **kwargs) -> str:
    return reverse(
        f"city:{name}", kwargs={"municipality_slug": tenant.municipality.slug, **kwargs}
    )


def test_order_confirm_deliver_inspect_invoice_and_matched_approval(
    page: Page, live_server, tenant, supplier_user
):
    today = timezone.localdate()
    supplier = supplier_user.supplier_membership.supplier
    with scopes_disabled():
        make_budget_code(tenant.municipality, fiscal_year=fiscal_year_of(today))

    # The department creates the order and sends it.
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(live_server.url + _city(tenant, "order_new"))
    page.get_by_label("取引先（発注部署）").select_option(index=1)
    page.get_by_label("支出負担行為番号・契約番号").fill("R8-JOURNEY")
    page.get_by_label("負担行為日（発注日）").fill(today.isoformat())
    page.get_by_label("会計年度").fill(str(fiscal_year_of(today)))
    page.get_by_label("予算科目").select_option(index=1)
    page.get_by_label("件名").fill("事務用品の購入")
    page.get_by_label("納入場所").fill("市役所本庁舎2階")
    first_line = page.get_by_test_id("order-line").first
    first_line.get_by_label("品名・内容").fill("コピー用紙 A4")
    first_line.get_by_label("数量").fill("10")
    first_line.get_by_label("単位").fill("箱")
    first_line.get_by_label("単価（税抜）").fill("450")
    page.get_by_role("button", name="保存する").click()
    page.get_by_role("link", name="発注する").click()
    page.get_by_role("button", name="発注する").click()
    expect(page.get_by_role("main")).to_contain_text("請書待ち")
    _logout(page)
    with scopes_disabled():
        order = Order.objects.get(number="R8-JOURNEY")

    # The supplier confirms it (請書) and records two deliveries.
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('supplier:order', kwargs={'pk': order.pk})}")
    page.get_by_role("link", name="請書を出す（受注する）").click()
    page.get_by_role("button", name="請書を出す（受注する）").click()
    expect(page.get_by_role("main")).to_contain_text("受注済")
    for number, quantity in (("D-J1", "4"), ("D-J2", "6")):
        page.goto(
            f"{live_server.url}{reverse('supplier:order', kwargs={'pk': order.pk})}"
        )
        page.get_by_role("link", name="納品を登録する").click()
        page.get_by_label("納品書番号").fill(number)
        page.get_by_label("納品日").fill(today.isoformat())
        page.get_by_label("コピー用紙 A4").fill(quantity)
        page.get_by_role("button", name="納品を登録する").click()
        expect(page.get_by_role("main")).to_contain_text(number)
    _logout(page)

    # The department inspects both.
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    with scopes_disabled():
        deliveries = list(Delivery.objects.filter(order=order).order_by("number"))
    for delivery in deliveries:
        page.goto(live_server.url + _city(tenant, "delivery", pk=delivery.pk))
        page.get_by_role("link", name="検収する").click()
        page.get_by_label("合格（納品どおり）").check()
        page.get_by_label("検収日").fill(today.isoformat())
        page.get_by_role("button", name="検収を記録する").click()
        expect(page.get_by_role("main")).to_contain_text("検収済")
    _logout(page)

    # The supplier drafts the monthly invoice from both and issues it.
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(
        f"{live_server.url}{reverse('supplier:order_invoice', kwargs={'pk': order.pk})}"
    )
    for delivery in deliveries:
        page.get_by_label(re.compile(f"納品書 {delivery.number}")).check()
    page.get_by_label("請求書番号").fill("INV-JOURNEY")
    page.get_by_label("請求日").fill(today.isoformat())
    page.get_by_role("button", name="請求書の下書きを作成する").click()
    expect(page.get_by_test_id("order-number")).to_have_text("R8-JOURNEY")
    page.get_by_role("button", name="発行する").click()
    with page.expect_navigation():
        page.get_by_role("dialog").get_by_role("button", name="発行を確定する").click()
    expect(page.get_by_role("main")).to_contain_text("まだ開封されていません")
    _logout(page)

    # The department opens it: matched; approved in one confirmation.
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.get_by_role("row", name=re.compile(supplier.legal_name)).get_by_role(
        "link"
    ).first.click()
    match = page.get_by_test_id("invoice-match")
    # 「一致」, not 「不一致」.
    expect(match.get_by_test_id("match-result")).to_have_text(re.compile(r"^\s*一致"))
    expect(match).to_contain_text("D-J1")
    expect(match).to_contain_text("D-J2")
    expect(page.get_by_test_id("over-amount")).to_have_count(0)
    invoice_url = page.url

    page.set_viewport_size(PHONE)
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )

    page.get_by_label("検収日").fill(today.isoformat())
    page.get_by_role("button", name="承認する").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("match-result")).to_have_text(re.compile(r"^\s*一致"))
    with page.expect_navigation():
        dialog.get_by_role("button", name="承認を確定する").click()
    expect(page.get_by_role("main")).to_contain_text("承認済")
    assert page.url == invoice_url
