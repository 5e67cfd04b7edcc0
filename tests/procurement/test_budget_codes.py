"""予算科目: the CSV import (all or nothing, specific messages), editing by
city administrators only, and reading by every staff role."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.audit_verify import chain_verify
from municipality.models import (
    BudgetCode,
    SettingsAction,
    SettingsEvent,
    SettingsEventKind,
)
from procurement.csv_files import CsvError
from procurement.services.budget_codes import budget_code_save, budget_codes_import
from tests.procurement.conftest import make_budget_code, make_order

HEADER = "会計年度,会計区分,款,款名,項,項名,目,目名,節,節名,細節,細節名\r\n"
GOOD = (
    HEADER
    + "2026,一般会計,02,総務費,01,総務管理費,01,一般管理費,10,需用費,01,消耗品費\r\n"
    + "2026,一般会計,02,総務費,01,総務管理費,01,一般管理費,13,委託料,,\r\n"
)


def _codes(municipality):
    with scopes_disabled():
        return list(BudgetCode.objects.filter(municipality=municipality))


def test_a_cp932_file_is_imported_and_a_second_import_updates_names(tenant):
    with scopes_disabled():
        added, updated = budget_codes_import(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            data=GOOD.encode("cp932"),
        )
    assert (added, updated) == (2, 0)
    codes = {c.code: c for c in _codes(tenant.municipality)}
    assert codes["02-01-01-10-01"].name == "消耗品費"
    assert codes["02-01-01-13"].name == "委託料"
    renamed = GOOD.replace("委託料", "委託料（電算）")
    with scopes_disabled():
        added, updated = budget_codes_import(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            data=("\ufeff" + renamed).encode("utf-8"),
        )
    assert (added, updated) == (0, 1)


def test_one_bad_row_saves_nothing_and_names_row_and_column(tenant):
    data = GOOD + "令和8,一般会計,02,総務費,01,総務管理費,01,一般管理費,,,,\r\n"
    with scopes_disabled(), pytest.raises(CsvError) as caught:
        budget_codes_import(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            data=data.encode("utf-8"),
        )
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert problems == {(4, "会計年度"), (4, "節"), (4, "節名")}
    assert _codes(tenant.municipality) == []


def test_a_duplicate_row_is_refused(tenant):
    lines = GOOD.splitlines(keepends=True)
    with scopes_disabled(), pytest.raises(CsvError) as caught:
        budget_codes_import(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            data=(GOOD + lines[1]).encode("utf-8"),
        )
    assert caught.value.problems[0].row == 4
    assert "2行目と同じ" in caught.value.problems[0].message


def test_a_code_in_use_keeps_its_codes(tenant, connection, budget_code):
    with scopes_disabled():
        make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
        with pytest.raises(ValidationError) as caught:
            budget_code_save(
                municipality=tenant.municipality,
                actor=tenant.city_admin,
                fields={"setsu": "11"},
                budget_code=budget_code,
            )
        assert "発注・請求書で使われている" in str(caught.value)
        budget_code_save(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            fields={"is_active": False},
            budget_code=budget_code,
        )
        budget_code.refresh_from_db()
    assert budget_code.is_active is False


def _url(tenant, name, **kwargs):
    return reverse(
        f"city:{name}", kwargs={"municipality_slug": tenant.municipality.slug, **kwargs}
    )


def test_the_city_admin_imports_through_the_page(client, tenant):
    client.force_login(tenant.city_admin)
    upload = SimpleUploadedFile("budget.csv", GOOD.encode("cp932"), "text/csv")
    response = client.post(_url(tenant, "budget_code_import"), {"file": upload})
    assert response.status_code == 302
    page = client.get(_url(tenant, "budget_codes")).content.decode()
    assert "消耗品費" in page
    assert "02-01-01-13" in page


def test_the_import_page_lists_the_problems(client, tenant):
    client.force_login(tenant.city_admin)
    upload = SimpleUploadedFile("budget.csv", b"a,b\r\n1,2\r\n", "text/csv")
    response = client.post(_url(tenant, "budget_code_import"), {"file": upload})
    assert response.status_code == 200
    assert "見出しの行に「会計年度」の列がありません。" in response.content.decode()


def test_the_city_admin_edits_a_code_on_screen(client, tenant, budget_code):
    client.force_login(tenant.city_admin)
    url = _url(tenant, "budget_code_edit", pk=budget_code.pk)
    data = {
        f.name: getattr(budget_code, f.name)
        for f in BudgetCode._meta.concrete_fields
        if f.editable and f.name not in ("id", "municipality")
    }
    data.update(setsu_name="需用費（改）", is_active="on")
    response = client.post(url, data)
    assert response.status_code == 302
    with scopes_disabled():
        budget_code.refresh_from_db()
    assert budget_code.setsu_name == "需用費（改）"


def test_department_staff_read_but_do_not_edit(client, tenant, budget_code):
    client.force_login(tenant.department_staff)
    page = client.get(_url(tenant, "budget_codes")).content.decode()
    assert "消耗品費" in page
    assert client.get(_url(tenant, "budget_code_new")).status_code == 404


def test_another_city_never_sees_the_codes(client, tenant, other_tenant, budget_code):
    make_budget_code(
        other_tenant.municipality, kan="09", saisetsu_name="霧島の消耗品費"
    )
    client.force_login(other_tenant.city_admin)
    page = client.get(
        reverse("city:budget_codes", kwargs={"municipality_slug": "kirishima"})
    ).content.decode()
    assert "霧島の消耗品費" in page
    assert "09-01-01-10-01" in page
    assert "02-01-01-10-01" not in page
    response = client.get(
        reverse(
            "city:budget_code_edit",
            kwargs={"municipality_slug": "kirishima", "pk": budget_code.pk},
        )
    )
    assert response.status_code == 404


def _budget_events(municipality):
    with scopes_disabled():
        return list(
            SettingsEvent.objects.filter(
                municipality=municipality, kind=SettingsEventKind.BUDGET_CODE
            ).order_by("pk")
        )


def test_every_change_is_in_the_settings_history_and_chained(tenant):
    with scopes_disabled():
        budget_codes_import(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            data=GOOD.encode("cp932"),
        )
        # The same file again changes nothing, and records nothing.
        budget_codes_import(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            data=GOOD.encode("cp932"),
        )
        code = BudgetCode.objects.get(setsu="13")
        budget_code_save(
            municipality=tenant.municipality,
            actor=tenant.city_admin,
            fields={"setsu_name": "委託料（電算）", "is_active": False},
            budget_code=code,
        )
    created_1, created_2, changed = _budget_events(tenant.municipality)
    assert {created_1.action, created_2.action} == {SettingsAction.CREATED}
    assert changed.action == SettingsAction.CHANGED
    assert changed.actor == tenant.city_admin
    assert "02-01-01-13" in changed.target_label
    assert {(c["label"], c["before"], c["after"]) for c in changed.changes} == {
        ("節の名称", "委託料", "委託料（電算）"),
        ("有効", "有効", "無効"),
    }
    assert chain_verify() is None
