"""The department checkboxes of the invitation forms, grouped by parent
department (a city has 50 and more) with a filter box for the script."""

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from partners.models import Invitation
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_units(tenant):
    """学校教育課 with two units under it, and one under a unit."""
    with scopes_disabled():
        parent = DepartmentFactory(
            municipality=tenant.municipality, code="050", name="学校教育課"
        )
        kitchen = DepartmentFactory(
            municipality=tenant.municipality,
            code="05001",
            name="吾平学校給食センター",
            parent=parent,
        )
        nursing = DepartmentFactory(
            municipality=tenant.municipality,
            code="05002",
            name="鹿屋看護専門学校",
            parent=parent,
        )
        library = DepartmentFactory(
            municipality=tenant.municipality,
            code="0500201",
            name="看護学校図書室",
            parent=nursing,
        )
    return parent, kitchen, nursing, library


def _group(page: str, legend: str) -> str:
    match = re.search(
        r'<fieldset class="department-group" data-department-group>\s*'
        rf"<legend>{legend}</legend>(.*?)</fieldset>",
        page,
        re.S,
    )
    assert match, f"no group for {legend}"
    return match.group(1)


def _pages(client, tenant):
    yield client.get(f"/p/{tenant.municipality.slug}/request/").content.decode()
    client.force_login(tenant.city_admin)
    url = reverse("city:invitation_create", args=[tenant.municipality.slug])
    yield client.get(url).content.decode()


def test_departments_are_grouped_under_their_parent(client, tenant, school_units):
    for page in _pages(client, tenant):
        group = _group(page, "学校教育課")
        units = ["学校教育課", "吾平学校給食センター"]
        units += ["鹿屋看護専門学校", "看護学校図書室"]
        for name in units:
            assert f" {name}</label>" in group, name
        # A department without sub-units is a plain row, not a group.
        assert tenant.department.name not in group
        assert f'data-department="{tenant.department.name} ' in page
        assert f"<legend>{tenant.department.name}</legend>" not in page


def test_filter_box_is_left_to_the_script(client, tenant, school_units):
    for page in _pages(client, tenant):
        assert re.search(r"<p data-department-filter hidden>", page)
        assert 'src="/static/js/department_filter.js"' in page
        assert 'data-department="吾平学校給食センター 05001"' in page


def test_grouped_checkboxes_still_post_as_before(client, tenant, school_units):
    _, kitchen, _, library = school_units
    client.force_login(tenant.city_admin)
    url = reverse("city:invitation_create", args=[tenant.municipality.slug])
    response = client.post(
        url, {"email": "new@example.jp", "departments": [kitchen.pk, library.pk]}
    )
    assert response.status_code == 302
    with scopes_disabled():
        invited = set(Invitation.objects.values_list("department", flat=True))
    assert invited == {kitchen.pk, library.pk}


def test_checked_departments_stay_checked_when_the_form_comes_back(
    client, tenant, school_units
):
    _, kitchen, _, _ = school_units
    client.force_login(tenant.city_admin)
    url = reverse("city:invitation_create", args=[tenant.municipality.slug])
    page = client.post(url, {"email": "", "departments": [kitchen.pk]}).content.decode()
    assert re.search(rf'value="{kitchen.pk}"[^>]*checked', page)
