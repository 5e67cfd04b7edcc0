"""予算科目: city administrators add and edit them on screen, or import a
fiscal year's codes from the 財務会計 system by CSV (all or nothing)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from municipality.audit import field_changes, field_values, settings_event_append
from municipality.models import (
    LEVELS,
    BudgetCode,
    Municipality,
    SettingsAction,
    SettingsEventKind,
)
from procurement.csv_files import CsvError, CsvProblem, csv_rows

# File-format data: the 財務会計 export's headers, read verbatim.
CSV_HEADERS = (
    "会計年度",
    "会計区分",
    "款",
    "款名",
    "項",
    "項名",
    "目",
    "目名",
    "節",
    "節名",
    "細節",
    "細節名",
)
_FIELDS = (
    "fiscal_year",
    "account",
    "kan",
    "kan_name",
    "kou",
    "kou_name",
    "moku",
    "moku_name",
    "setsu",
    "setsu_name",
    "saisetsu",
    "saisetsu_name",
)
EDIT_FIELDS = (*_FIELDS, "is_active")


def _record(code: BudgetCode, *, before: dict[str, str], actor: User) -> None:
    """The change in the city's settings history (設定・権限の変更履歴),
    chained like every other: which code, each field before and after."""
    settings_event_append(
        kind=SettingsEventKind.BUDGET_CODE,
        action=SettingsAction.CHANGED if before else SettingsAction.CREATED,
        target_label=str(code),
        changes=field_changes(
            model=BudgetCode, before=before, after=field_values(code, EDIT_FIELDS)
        ),
        actor=actor,
        municipality_id=code.municipality_id,
    )


@transaction.atomic
def budget_code_save(
    *,
    municipality: Municipality,
    actor: User,
    fields: dict,
    budget_code: BudgetCode | None = None,
) -> BudgetCode:
    """Add a 予算科目 or change one. Raises ``ValidationError`` (Japanese,
    per field) and saves nothing. A code that orders or approved invoices
    already name keeps its year and codes: only its names and whether it is
    active change."""
    if budget_code is None:
        budget_code = BudgetCode(municipality=municipality)
    elif budget_code.municipality_id != municipality.pk:
        raise ValidationError(gettext("この予算科目は変更できません。"))
    before = field_values(budget_code, EDIT_FIELDS) if budget_code.pk else {}
    in_use = budget_code.pk is not None and (
        budget_code.orders.exists() or budget_code.invoice_accounting.exists()
    )
    for name in EDIT_FIELDS:
        if name not in fields:
            continue
        if in_use and name in ("fiscal_year", "account", *LEVELS):
            if fields[name] != getattr(budget_code, name):
                raise ValidationError(
                    {
                        name: gettext(
                            "発注・請求書で使われている予算科目の年度・会計区分・コードは"
                            "変えられません。新しい予算科目を追加してください。"
                        )
                    }
                )
            continue
        setattr(budget_code, name, fields[name])
    budget_code.full_clean()
    budget_code.save()
    _record(budget_code, before=before, actor=actor)
    return budget_code


def _row_problems(number: int, values: dict) -> tuple[dict, list[CsvProblem]]:
    problems = []
    fields = {}
    for header, field in zip(CSV_HEADERS, _FIELDS, strict=True):
        value = values.get(header, "")
        if field == "fiscal_year":
            if not value.isdigit() or not 2000 <= int(value) <= 2100:
                problems.append(
                    CsvProblem(
                        number,
                        header,
                        gettext("会計年度は西暦4桁で入れてください（例: 2026）。"),
                    )
                )
                continue
            value = int(value)
        elif not value and not field.startswith("saisetsu"):
            problems.append(
                CsvProblem(
                    number,
                    header,
                    gettext("「%(column)s」が空です。入れてください。")
                    % {"column": header},
                )
            )
            continue
        max_length = BudgetCode._meta.get_field(field).max_length
        if max_length and len(str(value)) > max_length:
            problems.append(
                CsvProblem(
                    number,
                    header,
                    gettext("%(max)s文字以内にしてください。") % {"max": max_length},
                )
            )
        fields[field] = value
    if values.get("細節") and not values.get("細節名"):
        problems.append(
            CsvProblem(
                number, "細節名", gettext("細節があるときは細節名も入れてください。")
            )
        )
    return fields, problems


@transaction.atomic
def budget_codes_import(
    *, municipality: Municipality, actor: User, data: bytes
) -> tuple[int, int]:
    """Import a CSV of 予算科目 (``CSV_HEADERS``): a new combination of
    year, 会計区分 and codes is added, a known one gets the file's names
    (and is active again). Returns (added, updated). Raises ``CsvError``
    listing every problem, and nothing is saved then."""
    rows = csv_rows(data=data, headers=CSV_HEADERS)
    problems: list[CsvProblem] = []
    parsed = []
    seen: dict[tuple, int] = {}
    for number, values in rows:
        fields, row_problems = _row_problems(number, values)
        problems += row_problems
        if row_problems:
            continue
        key = tuple(fields[f] for f in ("fiscal_year", "account", *LEVELS))
        if key in seen:
            problems.append(
                CsvProblem(
                    number,
                    "",
                    gettext("%(row)s行目と同じ予算科目です。どちらかを消してください。")
                    % {"row": seen[key]},
                )
            )
            continue
        seen[key] = number
        parsed.append((key, fields))
    if problems:
        raise CsvError(problems)
    existing = {
        tuple(getattr(code, f) for f in ("fiscal_year", "account", *LEVELS)): code
        for code in BudgetCode.objects.filter(
            municipality=municipality,
            fiscal_year__in={key[0] for key, _fields in parsed},
        )
    }
    added = updated = 0
    for key, fields in parsed:
        code = existing.get(key)
        if code is None:
            code = BudgetCode.objects.create(municipality=municipality, **fields)
            _record(code, before={}, actor=actor)
            added += 1
            continue
        names = {f: fields[f] for f in _FIELDS if f.endswith("_name")}
        if any(getattr(code, f) != v for f, v in names.items()) or not code.is_active:
            before = field_values(code, EDIT_FIELDS)
            for f, v in names.items():
                setattr(code, f, v)
            code.is_active = True
            code.save()
            _record(code, before=before, actor=actor)
            updated += 1
    return added, updated
