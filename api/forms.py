from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiScope

LIFETIMES = (
    (30, _("30日")),
    (90, _("90日")),
    (180, _("180日")),
    (365, _("1年")),
)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("名前"),
        max_length=100,
        help_text=_("どのシステムで使うキーか分かる名前（例: 販売管理システム）。"),
        error_messages={"required": _("キーの名前を入力してください。")},
    )
    scope = forms.ChoiceField(
        label=_("権限"),
        choices=ApiScope.choices,
        initial=ApiScope.READ,
        widget=forms.RadioSelect,
        help_text=_(
            "参照: 宛先・請求書・支払通知を読むだけ。"
            "下書きの作成: 参照に加えて下書きを登録。"
            "発行: 下書きの作成に加えて、請求書を発行して自治体に届けられます。"
        ),
        error_messages={"required": _("権限を選んでください。")},
    )
    lifetime = forms.TypedChoiceField(
        label=_("有効期間"),
        choices=LIFETIMES,
        coerce=int,
        initial=90,
        error_messages={"required": _("有効期間を選んでください。")},
    )

    def expires_at(self):
        return timezone.now() + timedelta(days=self.cleaned_data["lifetime"])
