"""A city administrator without two-factor authentication is led, on a
phone, to the page that explains how to set it up."""

import re

import pytest
from playwright.sync_api import Page, expect

from municipality.models import StaffRole
from tests.browser.helpers import login
from tests.factories import PASSWORD, StaffMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_admin_without_two_factor_sees_how_to_set_it_up(
    page: Page, live_server, tenant
):
    user = StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.CITY_ADMIN, two_factor=False
    ).user
    page.set_viewport_size({"width": 390, "height": 844})

    login(page, live_server, user.email, PASSWORD)

    expect(page).to_have_url(re.compile(r"/accounts/two-factor-required/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "二段階認証の設定が必要です"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="二段階認証を設定する").click()
    # Changing security settings asks for the password first.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
