"""The department filter of the invitation forms, as a city admin and a
supplier use it on a phone."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from tests.browser.helpers import login
from tests.factories import PASSWORD, DepartmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def many_departments(tenant):
    with scopes_disabled():
        parent = DepartmentFactory(
            municipality=tenant.municipality, code="050", name="学校教育課"
        )
        DepartmentFactory(
            municipality=tenant.municipality,
            code="05001",
            name="吾平学校給食センター",
            parent=parent,
        )
        for n in range(40):
            DepartmentFactory(
                municipality=tenant.municipality, code=f"{600 + n}", name=f"課{n}"
            )


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_typing_filters_the_departments_and_keeps_the_checked_ones(
    page: Page, live_server, tenant, many_departments
):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, tenant.city_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{tenant.municipality.slug}/manage/invitations/new/")
    page.get_by_label("課3", exact=True).check()

    page.get_by_label("部署を絞り込む").fill("給食")
    expect(page.get_by_label("吾平学校給食センター")).to_be_visible()
    expect(page.get_by_label("課7", exact=True)).to_be_hidden()
    expect(page.get_by_label(tenant.department.name)).to_be_hidden()
    expect(page.get_by_label("課3", exact=True)).to_be_visible()  # checked
    expect(page.get_by_role("group", name="学校教育課")).to_be_visible()
    expect(page.get_by_text("2 / 44 部署を表示しています。")).to_be_visible()
    _no_sideways_scroll(page)

    page.get_by_label("部署を絞り込む").press("Enter")  # does not send the form
    page.get_by_label("吾平学校給食センター").check()
    page.get_by_label("部署を絞り込む").fill("")
    expect(page.get_by_label("課7", exact=True)).to_be_visible()
    page.get_by_label("招待先メールアドレス").fill("new@example.jp")
    page.get_by_role("button", name="招待メールを送る").click()
    expect(page.get_by_role("status")).to_contain_text("2件")


def test_public_request_form_filters_by_hiragana_and_full_width_code(
    page: Page, live_server, tenant, many_departments
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/p/{tenant.municipality.slug}/request/")
    page.get_by_label("部署を絞り込む").fill("０５００１")
    expect(page.get_by_label("吾平学校給食センター")).to_be_visible()
    expect(page.get_by_label("課1", exact=True)).to_be_hidden()
    _no_sideways_scroll(page)
