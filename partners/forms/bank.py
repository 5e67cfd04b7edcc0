"""The payee account form (振込先口座の登録・変更): input checks only; the
services check the same rules again before saving."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy as _

from partners.banking import (
    HOLDER_KANA_MAX_LENGTH,
    JAPAN_POST_BANK_CODE,
    account_number_normalize,
    bank_validate,
    branch_validate,
    holder_kana_normalize,
    japan_post_to_zengin,
)
from partners.models import AccountType, BankAccount

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


class BankAccountForm(forms.Form):
    """Bank, branch, type, number and holder of one payee account.

    For ゆうちょ銀行 (9900) the 記号・番号 printed in the passbook may be
    entered instead of 店番・預金種目・口座番号; they are converted here.
    After ``is_valid()``, ``bank``, ``branch``, ``resolved_type``,
    ``resolved_number`` and ``holder_kana`` hold what will be saved, for the
    confirmation page.
    """

    bank_code = forms.CharField(
        label=_("金融機関コード"),
        max_length=8,
        help_text=_(
            "4桁の数字（例: 0005）。通帳やキャッシュカードに記載されています。"
        ),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    branch_code = forms.CharField(
        label=_("支店コード（店番）"),
        max_length=6,
        required=False,
        help_text=_("3桁の数字（例: 001）。"),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    account_type = forms.ChoiceField(
        label=_("預金種目"), choices=AccountType.choices, initial=AccountType.ORDINARY
    )
    account_number = forms.CharField(
        label=_("口座番号"),
        max_length=14,
        required=False,
        help_text=_("7桁以内の数字。7桁未満の場合は先頭に0を補って登録します。"),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    japan_post_kigou = forms.CharField(
        label=_("記号"),
        max_length=10,
        required=False,
        help_text=_("5桁の数字（例: 12345）。"),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    japan_post_bangou = forms.CharField(
        label=_("番号"),
        max_length=16,
        required=False,
        help_text=_("8桁以内の数字（例: 12345671）。"),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    holder_input = forms.CharField(
        label=_("口座名義（カナ）"),
        max_length=100,
        help_text=(
            _(
                "通帳に印字されているとおりにカタカナで入力してください。"
                "「株式会社」などは振込用の略語（例: ｶ)）に置き換えます。"
            )
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    @classmethod
    def initial_for(cls, account: BankAccount) -> dict:
        return {
            "bank_code": account.bank_code,
            "branch_code": account.branch_code,
            "account_type": account.account_type,
            "account_number": account.account_number,
            "holder_input": account.holder_input or account.holder_kana,
        }

    def clean_bank_code(self):
        self.bank = bank_validate(self.cleaned_data["bank_code"])
        return self.bank.code

    def clean_holder_input(self):
        text = self.cleaned_data["holder_input"]
        kana = holder_kana_normalize(text, max_length=None)
        self.holder_truncated = len(kana) > HOLDER_KANA_MAX_LENGTH
        self.holder_kana = kana[:HOLDER_KANA_MAX_LENGTH]
        return text

    def clean(self):
        cleaned = super().clean()
        bank = getattr(self, "bank", None)
        kigou = cleaned.get("japan_post_kigou", "")
        bangou = cleaned.get("japan_post_bangou", "")
        if kigou or bangou:
            self._clean_japan_post(bank, kigou, bangou)
        elif bank is not None:
            self._clean_zengin(bank)
        return cleaned

    def _clean_japan_post(self, bank, kigou: str, bangou: str) -> None:
        cleaned = self.cleaned_data
        if bank is None:
            return
        if bank.code != JAPAN_POST_BANK_CODE:
            self.add_error(
                "japan_post_kigou",
                gettext(
                    "記号・番号はゆうちょ銀行（金融機関コード 9900）の"
                    "口座にだけ使えます。"
                    "ほかの金融機関は支店コードと口座番号を入力してください。"
                ),
            )
            return
        if cleaned.get("branch_code") or cleaned.get("account_number"):
            self.add_error(
                None,
                gettext(
                    "ゆうちょ銀行の口座は「記号・番号」か「支店コード（店番）・口座番号」"
                    "のどちらか一方で入力してください。"
                ),
            )
            return
        if not (kigou and bangou):
            field = "japan_post_bangou" if kigou else "japan_post_kigou"
            self.add_error(field, gettext("記号と番号の両方を入力してください。"))
            return
        try:
            branch_code, account_type, number = japan_post_to_zengin(kigou, bangou)
        except ValidationError as error:
            self.add_error(f"japan_post_{error.code}", error)
            return
        try:
            self.branch = branch_validate(bank, branch_code)
        except ValidationError as error:
            self.add_error("japan_post_kigou", error)
            return
        self.resolved_type = account_type
        self.resolved_number = number

    def _clean_zengin(self, bank) -> None:
        cleaned = self.cleaned_data
        for field, message in (
            ("branch_code", gettext("支店コード（店番）を入力してください。")),
            ("account_number", gettext("口座番号を入力してください。")),
        ):
            if not cleaned.get(field):
                self.add_error(field, message)
        if cleaned.get("branch_code"):
            try:
                self.branch = branch_validate(bank, cleaned["branch_code"])
            except ValidationError as error:
                self.add_error("branch_code", error)
        if cleaned.get("account_number"):
            try:
                self.resolved_number = account_number_normalize(
                    cleaned["account_number"]
                )
            except ValidationError as error:
                if bank.code == JAPAN_POST_BANK_CODE:
                    error.error_list.append(
                        ValidationError(
                            gettext(
                                "ゆうちょ銀行の通帳の記号・番号（8桁）は、"
                                "「記号・番号」の欄に入力してください。"
                            )
                        )
                    )
                self.add_error("account_number", error)
        if "account_type" in cleaned:
            self.resolved_type = AccountType(cleaned["account_type"])

    def account_data(self) -> dict:
        """The validated account, as the services take it."""
        return {
            "bank_code": self.bank.code,
            "branch_code": self.branch.code,
            "account_type": self.resolved_type,
            "account_number": self.resolved_number,
            "holder_input": self.cleaned_data["holder_input"],
        }
