"""A city administrator sets the city's Peppol access point on a phone
(390 px, no sideways scroll) and sees the settings saved."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from peppol.models import AccessPointSettings
from tests.browser.helpers import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_admin_sets_the_directory_adapter_at_390px(
    page: Page, live_server, tenant, settings, tmp_path
):
    settings.PEPPOL_EXCHANGE_ROOT = str(tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, tenant.city_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{tenant.municipality.slug}/manage/")
    page.get_by_role("link", name="アクセスポイントの設定（Peppol）").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "アクセスポイントの設定"
    )
    expect(page.get_by_label("PeppolID")).to_have_value("0188:8000020462039")
    page.get_by_label("フォルダ連携（outbox / inbox）").check()
    page.get_by_label("連携フォルダ").fill(f"{tmp_path}/kanoya")
    page.get_by_label("有効").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_contain_text(
        "アクセスポイントの設定を保存しました"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with scopes_disabled():
        saved = AccessPointSettings.objects.get(municipality=tenant.municipality)
    assert (saved.kind, saved.directory, saved.enabled) == (
        "directory",
        f"{tmp_path}/kanoya",
        True,
    )
