"""Forms for invitation requests, the city's invitation console and
accepting an invitation."""

import re
import unicodedata
from dataclasses import dataclass, field

import jaconv
from django import forms
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext, gettext_lazy

from municipality.fields import PostalCodeField
from municipality.models import Department
from municipality.validators import (
    normalize_identifier,
    validate_registration_number,
)
from partners.models import InvitationRequest, Supplier
from partners.services.invitations import (
    DEPARTMENTS_NOT_ALLOWED,
    STAFF_EMAIL,
    email_is_staff,
)

KANA_MESSAGE = gettext_lazy(
    "%(field)sは全角カタカナで入力してください（例: カブシキガイシャカノヤショウジ）。"
)
PHONE_MESSAGE = gettext_lazy(
    "電話番号は 0994-12-3456 のように数字とハイフンで入力してください。"
)


# What a kana field may hold once normalised (katakana, letters, digits).
_KANA = re.compile(r"[ァ-ヶー・ 　A-Za-z0-9（）()]+")


def kana_normalize(value: str, field: str) -> str:
    """Full-width katakana from what people type (hiragana, half-width kana).
    Raises a ValidationError naming ``field`` for anything else."""
    value = jaconv.hira2kata(unicodedata.normalize("NFKC", value)).strip()
    if not _KANA.fullmatch(value):
        raise forms.ValidationError(KANA_MESSAGE, params={"field": field})
    return value


# The long vowel mark an IME types for the hyphen of a phone number.
_LONG_VOWEL_AS_DASH = str.maketrans({"ー": "-"})


def phone_normalize(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).translate(_LONG_VOWEL_AS_DASH).strip()
    if not re.fullmatch(r"0\d{1,4}-?\d{1,4}-?\d{3,4}", value):
        raise forms.ValidationError(PHONE_MESSAGE)
    return value


class DepartmentChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple
    default_error_messages = {
        "invalid_choice": DEPARTMENTS_NOT_ALLOWED,
        "invalid_pk_value": DEPARTMENTS_NOT_ALLOWED,
    }

    def label_from_instance(self, obj):
        return obj.name


@dataclass
class DepartmentGroup:
    """A department's checkbox and those of the departments under it."""

    choice: BoundWidget
    children: list[BoundWidget] = field(default_factory=list)


class DepartmentGroupsMixin:
    """Groups the ``departments`` checkboxes by parent department, for
    templates/partners/_department_choices.html (a city has 50 and more)."""

    def department_groups(self) -> list[DepartmentGroup]:
        choices = self["departments"].subwidgets
        by_pk = {choice.data["value"].instance.pk: choice for choice in choices}
        groups: dict[int, DepartmentGroup] = {}
        for choice in choices:
            department = choice.data["value"].instance
            root = department
            # Up to the highest ancestor offered too; sub-units of sub-units
            # join their top unit's group.
            while root.parent_id in by_pk:
                root = by_pk[root.parent_id].data["value"].instance
            if root is department:
                groups.setdefault(
                    department.pk, DepartmentGroup(choice)
                ).choice = choice
            else:
                groups.setdefault(root.pk, DepartmentGroup(by_pk[root.pk]))
                groups[root.pk].children.append(choice)
        return list(groups.values())


class InvitationRequestForm(DepartmentGroupsMixin, forms.ModelForm):
    """The public request form. ``website`` is a honeypot: people never see
    it, form-filling bots usually fill it."""

    departments = DepartmentChoiceField(
        label=gettext_lazy("請求先の部署"),
        queryset=Department.objects.none(),
        error_messages={
            "required": gettext_lazy("請求書を送りたい部署を1つ以上選んでください。")
        },
    )
    website = forms.CharField(
        label=gettext_lazy("ウェブサイト（入力しないでください）"), required=False
    )

    class Meta:
        model = InvitationRequest
        fields = [
            "company_name",
            "company_name_kana",
            "registration_number",
            "contact_name",
            "email",
            "phone",
            "departments",
            "message",
        ]
        help_texts = {
            "registration_number": (
                gettext_lazy(
                    "適格請求書発行事業者の方は「T」から始まる番号。"
                    "登録していない場合は空欄。"
                )
            ),
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(
            municipality=municipality, is_active=True
        ).order_by("code")

    def clean_company_name_kana(self):
        return kana_normalize(
            self.cleaned_data["company_name_kana"], gettext("事業者名（カナ）")
        )

    def clean_phone(self):
        return phone_normalize(self.cleaned_data["phone"])


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("見送りの理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("申請者にメールで伝わります。"),
        error_messages={
            "required": gettext_lazy(
                "見送りの理由を入力してください。申請者にメールで伝わります。"
            )
        },
    )


class InvitationForm(DepartmentGroupsMixin, forms.Form):
    email = forms.EmailField(label=gettext_lazy("招待先メールアドレス"))
    company_name = forms.CharField(
        label=gettext_lazy("事業者名"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("分かる場合のみ。"),
    )
    registration_number = forms.CharField(
        label=gettext_lazy("登録番号"),
        required=False,
        max_length=20,
        help_text=gettext_lazy(
            "分かる場合のみ（T＋13桁）。すでに登録されている取引先の番号なら、"
            "招待はその取引先の管理者に送ります。"
        ),
    )
    departments = DepartmentChoiceField(
        label=gettext_lazy("請求先の部署"),
        queryset=Department.objects.none(),
        error_messages={
            "required": gettext_lazy("招待する部署を1つ以上選んでください。")
        },
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(
            municipality=municipality, is_active=True
        ).order_by("code")

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email_is_staff(email):
            raise forms.ValidationError(STAFF_EMAIL)
        return email

    def clean_registration_number(self):
        number = normalize_identifier(self.cleaned_data["registration_number"])
        if number:
            validate_registration_number(number)
        return number


class SupplierCreateForm(forms.ModelForm):
    """The supplier a person creates when accepting their first invitation."""

    postal_code = PostalCodeField()

    class Meta:
        model = Supplier
        fields = [
            "legal_name",
            "name_kana",
            "legal_form",
            "registration_number",
            "corporate_number",
            "postal_code",
            "address",
            "phone",
            "tax_rounding",
            "default_price_basis",
        ]
        widgets = {"legal_form": forms.RadioSelect}

    def clean_name_kana(self):
        return kana_normalize(self.cleaned_data["name_kana"], gettext("名称（カナ）"))

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        return phone_normalize(phone) if phone else phone
