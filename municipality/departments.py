"""Departments run by the city administrator (部署の管理): add, rename,
re-parent, deactivate and reactivate, each recorded as a settings event
(設定・権限の変更履歴) with the fields before and after.

Whether a department still has open invoices is known to the invoices app
above this one, so callers pass the count (``open_invoices``): a
department with open invoices is deactivated only when the administrator
confirmed it, and the count goes into the record.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from municipality.audit import field_changes, field_values, settings_event_append
from municipality.models import (
    Department,
    Municipality,
    SettingsAction,
    SettingsEventKind,
)
from municipality.services import department_create

DEPARTMENT_FIELDS = ("code", "name", "parent", "is_active")
OPEN_INVOICES_LABEL = gettext_lazy("未処理の請求書")


def department_values(department: Department) -> dict[str, str]:
    values = field_values(department, DEPARTMENT_FIELDS)
    if department.parent_id is not None:
        parent = department.parent
        values["parent"] = f"{parent.code} {parent.name}"
    return values


def department_record(
    *,
    department: Department,
    action: str,
    before: dict[str, str],
    actor: User | None,
    extra: list[dict[str, str]] | None = None,
) -> None:
    changes = field_changes(
        model=Department, before=before, after=department_values(department)
    )
    settings_event_append(
        kind=SettingsEventKind.DEPARTMENT,
        action=action,
        target_label=f"{department.code} {department.name}",
        changes=[*changes, *(extra or [])] if changes else [],
        actor=actor,
        municipality_id=department.municipality_id,
    )


@transaction.atomic
def department_add(
    *,
    municipality: Municipality,
    code: str,
    name: str,
    parent: Department | None,
    actor: User,
) -> Department:
    """Add a department, recorded. Raises ``ValidationError`` for a
    duplicate code or a parent of another municipality."""
    department = department_create(
        municipality=municipality, code=code, name=name, parent=parent
    )
    department_record(
        department=department, action=SettingsAction.CREATED, before={}, actor=actor
    )
    return department


def _lock(department: Department) -> Department:
    return (
        Department.objects.select_for_update(of=("self",))
        .select_related("parent")
        .get(pk=department.pk)
    )


@transaction.atomic
def department_update(
    *, department: Department, name: str, parent: Department | None, actor: User
) -> Department:
    """Rename and re-parent a department (its code stays: suppliers' CSV
    files name it), recorded when anything changed.

    Raises ``ValidationError`` when the parent is of another municipality
    or would make a cycle (the department above itself).
    """
    department = _lock(department)
    before = department_values(department)
    department.name = name
    department.parent = parent
    department.full_clean()
    department.save(update_fields=["name", "parent", "updated_at"])
    department_record(
        department=department,
        action=SettingsAction.CHANGED,
        before=before,
        actor=actor,
    )
    return department


def open_invoices_change(count: int) -> list[dict[str, str]]:
    """The open invoices a deactivation was confirmed with, as a change."""
    if not count:
        return []
    return [
        {
            "field": "open_invoices",
            "label": str(OPEN_INVOICES_LABEL),
            "before": "",
            "after": gettext("%(count)d件（確認のうえ無効化）") % {"count": count},
        }
    ]


def open_invoices_error(*, department: Department, count: int) -> str:
    return gettext(
        "部署「%(name)s」には未処理の請求書が%(count)d件あります。"
        "支払が済むまで請求書はこの部署で処理されます。"
        "確認のうえ無効にする場合は、そのことをチェックしてください。"
    ) % {"name": department.name, "count": count}


@transaction.atomic
def department_deactivate(
    *, department: Department, open_invoices: int, confirmed: bool, actor: User
) -> Department:
    """Stop a department receiving invoices (無効). Its suppliers can no
    longer send it invoices; invoices already received stay and are
    handled as before.

    Raises ``ValidationError`` when it has ``open_invoices`` and the
    administrator did not confirm.
    """
    department = _lock(department)
    if not department.is_active:
        return department
    if open_invoices and not confirmed:
        raise ValidationError(
            open_invoices_error(department=department, count=open_invoices)
        )
    before = department_values(department)
    department.is_active = False
    department.save(update_fields=["is_active", "updated_at"])
    department_record(
        department=department,
        action=SettingsAction.CHANGED,
        before=before,
        actor=actor,
        extra=open_invoices_change(open_invoices),
    )
    return department


@transaction.atomic
def department_activate(*, department: Department, actor: User) -> Department:
    """Let a deactivated department receive invoices again, recorded."""
    department = _lock(department)
    before = department_values(department)
    department.is_active = True
    department.save(update_fields=["is_active", "updated_at"])
    department_record(
        department=department, action=SettingsAction.CHANGED, before=before, actor=actor
    )
    return department
