import re
import unicodedata

import jaconv
from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _

from municipality.fields import PostalCodeField, half_width
from partners.images import SEAL_MAX_BYTES, SEAL_MAX_SIDE, seal_image_clean
from partners.models import Supplier
from partners.services.profile import SUPPLIER_PROFILE_FIELDS


class SupplierProfileForm(forms.ModelForm):
    """The supplier's profile as its owner edits it. The seal is checked
    here (``partners.images``) and saved by the service, never by the form."""

    seal = forms.FileField(
        label=_("印影の画像"),
        required=False,
        help_text=lazy(
            lambda: (
                gettext(
                    "PNG（背景が透明なもの）、JPEG または GIF、"
                    "%(size)sKB以下、縦・横%(side)sピクセル以内。"
                )
                % {"size": f"{SEAL_MAX_BYTES // 1024:,}", "side": SEAL_MAX_SIDE}
            ),
            str,
        )(),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif"}),
    )
    postal_code = PostalCodeField()
    remove_seal = forms.BooleanField(
        label=_("登録済みの印影を削除する"), required=False
    )

    class Meta:
        model = Supplier
        fields = SUPPLIER_PROFILE_FIELDS
        widgets = {
            "legal_form": forms.RadioSelect,
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def clean_name_kana(self):
        # Half-width kana and hiragana both come in; store full-width katakana.
        return jaconv.hira2kata(
            unicodedata.normalize("NFKC", self.cleaned_data["name_kana"])
        )

    def clean_phone(self):
        value = half_width(self.cleaned_data["phone"])
        if value and not re.fullmatch(r"\+?[\d\-() ]{10,20}", value):
            raise forms.ValidationError(
                gettext(
                    "電話番号は市外局番から数字で入力してください（例: 0994-31-1111）。"
                )
            )
        return value

    def clean_seal(self):
        upload = self.cleaned_data["seal"]
        return seal_image_clean(upload) if upload else None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("seal") and cleaned.get("remove_seal"):
            self.add_error(
                "remove_seal",
                gettext(
                    "新しい印影を選んだときは「削除する」のチェックを外してください。"
                ),
            )
        return cleaned
