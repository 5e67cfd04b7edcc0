from django import forms
from django.utils.translation import gettext_lazy as _

from municipality.models import Department, Municipality, StaffRole


class DepartmentsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


def _departments(municipality: Municipality, keep=()):
    """Active departments, and those the person has already (so that
    saving the form does not drop them silently)."""
    return Department.objects.filter(municipality=municipality).filter(
        pk__in=[d.pk for d in keep]
    ) | Department.objects.filter(municipality=municipality, is_active=True)


class StaffInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("招待する職員のメールアドレス"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("役割"),
        choices=StaffRole.choices,
        initial=StaffRole.DEPARTMENT,
        widget=forms.RadioSelect,
    )
    departments = DepartmentsField(
        label=_("担当部署"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("部署担当者のときに選んでください。"),
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = _departments(municipality).order_by(
            "code"
        )


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("役割"),
        choices=StaffRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    departments = DepartmentsField(
        label=_("担当部署"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("部署担当者が請求書を受け取る部署。"),
    )

    def __init__(self, *args, municipality, current_departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = _departments(
            municipality, current_departments
        ).order_by("code")


class DepartmentForm(forms.Form):
    code = forms.CharField(
        label=_("部署コード"),
        max_length=20,
        help_text=_("取引先のCSVで部署を指定するコード。あとから変更できません。"),
    )
    name = forms.CharField(label=_("部署名"), max_length=100)
    parent = forms.ModelChoiceField(
        label=_("上位部署"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("（なし）"),
    )

    def __init__(self, *args, municipality, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Department.objects.filter(municipality=municipality)
        if department is not None:
            del self.fields["code"]
            parents = parents.exclude(pk__in=_subtree(department))
        self.fields["parent"].queryset = parents.order_by("code")
        self.fields["parent"].label_from_instance = lambda d: f"{d.code} {d.name}"


def _subtree(department: Department) -> set[int]:
    """The department and everything under it: not a parent it may take."""
    children: dict[int, list[int]] = {}
    for pk, parent_id in Department.objects.filter(
        municipality_id=department.municipality_id
    ).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [department.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


class DepartmentDeactivateForm(forms.Form):
    confirm_open_invoices = forms.BooleanField(
        label=_("未処理の請求書があることを確認しました"), required=False
    )


class DepartmentImportForm(forms.Form):
    file = forms.FileField(
        label=_("部署一覧のCSVファイル"),
        help_text=_(
            "部署コード・部署名・上位部署コード・有効の列。"
            "UTF-8（BOM付き）とShift_JIS（CP932）に対応しています。"
        ),
        error_messages={"required": _("取り込むCSVファイルを選んでください。")},
    )
