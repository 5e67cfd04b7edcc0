"""Every role signs in through the real login page and lands on its home."""

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from municipality.models import StaffRole
from tests.browser.helpers import (
    artifact_dir_name,
    login,
    phase_failed,
    save_page_artifacts,
)
from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    StaffMembershipFactory,
    UserFactory,
    make_invoice,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url(live_server, path: str) -> re.Pattern:
    """The exact URL of ``path`` on the live server (no query string)."""
    return re.compile(re.escape(f"{live_server.url}{path}") + "$")


def test_supplier_owner_lands_on_supplier_home(
    page: Page, live_server, tenant, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier

    login(page, live_server, supplier_user.email, PASSWORD)

    expect(page).to_have_url(url(live_server, "/supplier/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(supplier.legal_name)
    table = page.get_by_role("table", name="登録済みの部署の一覧")
    expect(
        table.get_by_role("cell", name=tenant.department.name, exact=True)
    ).to_be_visible()
    expect(table).to_contain_text(tenant.municipality.name)
    expect(page.get_by_test_id("current-role")).to_contain_text(supplier.legal_name)


def test_department_staff_sees_only_their_departments_invoices(
    page: Page, live_server, tenant
):
    with scopes_disabled():
        own = make_invoice(
            connection=ConnectionFactory(department=tenant.department),
            actor=UserFactory(),
        )
        other = make_invoice(
            connection=ConnectionFactory(department=tenant.other_department),
            actor=UserFactory(),
        )
    login(page, live_server, tenant.department_staff.email, PASSWORD)

    expect(page).to_have_url(url(live_server, "/m/kanoya/inbox/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("受信箱")
    expect(page.get_by_role("main")).to_contain_text(own.supplier.legal_name)
    expect(page.get_by_text(other.supplier.legal_name)).to_have_count(0)
    expect(page.get_by_test_id("current-role")).to_contain_text("部署担当者")


def test_treasury_lands_on_payee_master(page: Page, live_server, tenant):
    login(page, live_server, tenant.treasury.email, PASSWORD)

    expect(page).to_have_url(url(live_server, "/m/kanoya/treasury/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("支払先マスタ")
    expect(page.get_by_test_id("current-role")).to_contain_text("会計管理者・出納室")


def test_city_admin_lands_on_management(page: Page, live_server, tenant):
    login(page, live_server, tenant.city_admin.email, PASSWORD)

    expect(page).to_have_url(url(live_server, "/m/kanoya/manage/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("自治体管理")
    expect(page.get_by_role("heading", level=1)).to_contain_text("鹿屋市")
    expect(page.get_by_test_id("current-role")).to_contain_text("自治体管理者")


@pytest.fixture
def multi_role_user(tenant, other_tenant):
    """Department staff in 鹿屋市 and city administrator of 霧島市."""
    user = UserFactory()
    StaffMembershipFactory(
        user=user,
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    )
    StaffMembershipFactory(
        user=user, municipality=other_tenant.municipality, role=StaffRole.CITY_ADMIN
    )
    return user


def test_user_with_several_roles_switches_role(
    page: Page, live_server, tenant, multi_role_user
):
    login(page, live_server, multi_role_user.email, PASSWORD)

    # Roles are ordered by local government code: 鹿屋市 (462039) comes first.
    expect(page).to_have_url(url(live_server, "/m/kanoya/inbox/"))
    current = page.get_by_test_id("current-role")
    expect(current).to_contain_text("鹿屋市")
    expect(current).to_contain_text("部署担当者")
    expect(page.get_by_role("heading", level=1)).to_contain_text("受信箱")

    switcher = page.get_by_label("役割の切り替え")
    expect(switcher).to_have_value("department:kanoya")
    switcher.select_option(label="霧島市（自治体管理者）")
    with page.expect_navigation():
        page.get_by_role("button", name="切り替え", exact=True).click()

    expect(page).to_have_url(url(live_server, "/m/kirishima/manage/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("自治体管理")
    expect(page.get_by_role("heading", level=1)).to_contain_text("霧島市")
    expect(current).to_contain_text("霧島市")
    expect(current).to_contain_text("自治体管理者")
    expect(page.get_by_label("役割の切り替え")).to_have_value("city_admin:kirishima")

    # The choice is remembered: the portal's start page now leads there too.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url(live_server, "/m/kirishima/manage/"))


def test_wrong_password_stays_on_login_page(page: Page, live_server, tenant):
    login(page, live_server, tenant.city_admin.email, "not-the-password")

    expect(page).to_have_url(url(live_server, "/accounts/login/"))
    expect(
        page.get_by_text(
            "入力されたメールアドレスもしくはパスワードが正しくありません。"
        )
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    expect(page.get_by_test_id("current-role")).to_have_count(0)
    # Japanese text only matches because the page declares its encoding.
    expect(page.locator('meta[charset="utf-8"]')).to_have_count(1)


def test_first_tab_focuses_skip_link(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")

    page.keyboard.press("Tab")

    expect(page.get_by_role("link", name="本文へ移動")).to_be_focused()


# The harness itself ------------------------------------------------------------


def test_failure_artifacts_are_saved(page: Page, live_server, tmp_path):
    """The helper the ``page`` fixture calls after a failure writes a full-page
    screenshot and the page's HTML."""
    page.goto(f"{live_server.url}/accounts/login/")

    screenshot, html = save_page_artifacts(page, tmp_path / "artifacts")

    assert screenshot.is_file()
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert html.is_file()
    saved = " ".join(html.read_text(encoding="utf-8").split())
    assert page.title() == "ログイン | 請求書ポータル"
    assert page.title() in saved


def test_artifact_folder_name_is_sanitised():
    assert (
        artifact_dir_name("tests/browser/test_x.py::test_y[a b/ç]")
        == "tests_browser_test_x.py_test_y_a_b"
    )


def test_reports_are_kept_on_the_item(request):
    """The makereport hook stores each phase's report, which the ``page``
    fixture's teardown reads to decide whether to save artifacts."""
    assert request.node.rep_setup.passed
    assert not phase_failed(request.node)
