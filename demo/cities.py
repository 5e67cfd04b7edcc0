"""The demo's two cities, Kanoya (with its real departments) and Kirishima."""

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from municipality.models import Department, Municipality
from municipality.services import department_create

if TYPE_CHECKING:
    from demo.world import DemoSeedResult

KANOYA_DEPARTMENTS_CSV = Path(__file__).parent / "data" / "kanoya-departments.csv"

KANOYA = "462039"
KIRISHIMA = "462187"

_MUNICIPALITIES = {
    KANOYA: {
        "name": "鹿屋市",
        "name_kana": "カノヤシ",
        "local_government_code": KANOYA,
        "corporate_number": "8000020462039",
        "slug": "kanoya",
        "postal_code": "893-8501",
        "address": "鹿児島県鹿屋市共栄町20番1号",
    },
    KIRISHIMA: {
        "name": "霧島市",
        "name_kana": "キリシマシ",
        "local_government_code": KIRISHIMA,
        "corporate_number": "8000020462187",
        "slug": "kirishima",
        "postal_code": "899-4394",
        "address": "鹿児島県霧島市国分中央三丁目45番1号",
    },
}


class DepartmentRow(NamedTuple):
    code: str
    name: str
    parent_code: str = ""


def kanoya_department_rows() -> list[DepartmentRow]:
    """Kanoya's departments and sub-units, as listed in the CSV file."""
    with KANOYA_DEPARTMENTS_CSV.open(encoding="utf-8", newline="") as f:
        return [
            DepartmentRow(row["code"], row["name"], row["parent_code"])
            for row in csv.DictReader(f)
        ]


# Invented for the demo; Kirishima's real codes are not needed here.
_KIRISHIMA_DEPARTMENTS = (
    DepartmentRow("010", "総務課"),
    DepartmentRow("020", "財政課"),
    DepartmentRow("030", "会計課"),
    DepartmentRow("040", "教育総務課"),
    DepartmentRow("04001", "教育総務課学校給食センター", "040"),
    DepartmentRow("050", "環境衛生課"),
)


def _municipality_ensure(
    fields: dict[str, str], result: "DemoSeedResult"
) -> Municipality:
    municipality = Municipality.objects.filter(
        local_government_code=fields["local_government_code"]
    ).first()
    if municipality is None:
        municipality = Municipality(**fields)
        municipality.full_clean()
        municipality.save()
        result.add("自治体")
    return municipality


def _departments_ensure(
    municipality: Municipality,
    rows: Iterable[DepartmentRow],
    result: "DemoSeedResult",
) -> dict[str, Department]:
    """The municipality's departments by code, after adding the missing
    ``rows``; a parent is created before its sub-units."""
    departments = {
        d.code: d for d in Department.objects.filter(municipality=municipality)
    }
    pending = [row for row in rows if row.code not in departments]
    while pending:
        ready = [
            row
            for row in pending
            if not row.parent_code or row.parent_code in departments
        ]
        if not ready:
            raise ValueError(f"Parent department not found for: {pending}")
        for row in ready:
            departments[row.code] = department_create(
                municipality=municipality,
                code=row.code,
                name=row.name,
                parent=departments[row.parent_code] if row.parent_code else None,
            )
        result.add("部署", len(ready))
        pending = [row for row in pending if row.code not in departments]
    return departments
