from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import SupplierRole


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("招待する方のメールアドレス"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("役割"),
        choices=SupplierRole.choices,
        initial=SupplierRole.CLERK,
        help_text=_(
            "管理者は事業者情報・振込先・利用者を管理できます。"
            "担当者は請求書の作成と送付ができます。"
        ),
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("役割"), choices=SupplierRole.choices)
