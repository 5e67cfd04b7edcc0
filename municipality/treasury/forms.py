"""Treasury forms: input checks only; the services in
``municipality.treasury.services`` check the rules that depend on the data
again."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_lazy as _

from invoices.fields import JapaneseDateField, PlainSelect, nfkc
from invoices.search import supplier_name_filter
from municipality.models import PaymentBatch, TreasurySettings
from partners.banking import (
    account_number_normalize,
    bank_validate,
    branch_validate,
    holder_kana_normalize,
)

ORIGINATOR_NAME_MAX_LENGTH = 40
NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


class TreasurySettingsForm(forms.ModelForm):
    """委託者コード, 委託者名, the account debited, fees and file formats.
    Codes are checked against the Zengin master and the name is converted to
    the characters a transfer file accepts (full-width input welcome)."""

    class Meta:
        model = TreasurySettings
        fields = (
            "originator_code",
            "originator_name_kana",
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "fee_bearer",
            "fee_same_branch_small",
            "fee_same_branch_large",
            "fee_same_bank_small",
            "fee_same_bank_large",
            "fee_other_bank_small",
            "fee_other_bank_large",
            "line_ending",
            "csv_encoding",
            "four_eyes",
        )
        widgets = {
            "originator_code": forms.TextInput(attrs=NUMERIC),
            "bank_code": forms.TextInput(attrs=NUMERIC),
            "branch_code": forms.TextInput(attrs=NUMERIC),
            "account_number": forms.TextInput(attrs=NUMERIC),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Full-width digits and a few more characters than stored may be
        # typed; the clean methods below reduce them.
        for name, length in (
            ("originator_code", 20),
            ("bank_code", 8),
            ("branch_code", 6),
            ("account_number", 14),
            ("originator_name_kana", 100),
        ):
            self.fields[name].max_length = length
            self.fields[name].widget.attrs["maxlength"] = length
            self.fields[name].validators = []

    def clean_originator_code(self):
        code = unicodedata.normalize("NFKC", self.cleaned_data["originator_code"])
        code = code.strip()
        if not re.fullmatch(r"[0-9]{10}", code):
            raise ValidationError(
                gettext(
                    "委託者コードは、金融機関から指定された10桁の数字で入力してください。"
                )
            )
        return code

    def clean_originator_name_kana(self):
        kana = holder_kana_normalize(
            self.cleaned_data["originator_name_kana"], max_length=None
        )
        if len(kana) > ORIGINATOR_NAME_MAX_LENGTH:
            raise ValidationError(
                gettext(
                    "委託者名（カナ）は半角で%(max)s文字以内にしてください"
                    "（いまは%(length)s文字: %(kana)s）。"
                    "金融機関に届け出た略称を使ってください。"
                )
                % {"max": ORIGINATOR_NAME_MAX_LENGTH, "length": len(kana), "kana": kana}
            )
        return kana

    def clean_bank_code(self):
        self.bank = bank_validate(self.cleaned_data["bank_code"])
        return self.bank.code

    def clean_branch_code(self):
        bank = getattr(self, "bank", None)
        if bank is None:
            return self.cleaned_data["branch_code"]
        return branch_validate(bank, self.cleaned_data["branch_code"]).code

    def clean_account_number(self):
        return account_number_normalize(self.cleaned_data["account_number"])


# The budget-code filter's choice for invoices that name none.
NO_BUDGET_CODE = "none"


class PayablesFilterForm(forms.Form):
    """The payables list's GET parameters."""

    department = forms.TypedChoiceField(
        label=_("部署"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,
    )
    # Text, not a list of every supplier: a city pays thousands, and the
    # list was most of the page's work (and of little use on a phone).
    counterparty = forms.CharField(
        label=_("取引先（名称・カナ・登録番号）"), required=False, max_length=100
    )
    deadline_from = JapaneseDateField(label=_("支払期限（から）"), required=False)
    deadline_to = JapaneseDateField(label=_("支払期限（まで）"), required=False)
    fiscal_year = forms.TypedChoiceField(
        label=_("会計年度"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,
        error_messages={
            "invalid_choice": _(
                "その会計年度の承認済の請求書はありません。一覧から選んでください。"
            )
        },
    )
    budget_code = forms.ChoiceField(
        label=_("予算科目"),
        required=False,
        widget=PlainSelect,
        error_messages={
            "invalid_choice": _(
                "選んだ予算科目が見つかりません。一覧から選び直してください。"
            )
        },
    )

    def __init__(self, *args, departments, fiscal_years, budget_codes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [
            ("", gettext("すべての年度")),
            *[
                (year, gettext("%(year)s 年度") % {"year": year})
                for year in fiscal_years
            ],
        ]
        self.fields["budget_code"].choices = [
            ("", gettext("すべての予算科目")),
            (NO_BUDGET_CODE, gettext("予算科目の指定なし")),
            *[
                (str(code.pk), f"{code.fiscal_year} {code.code} {code.name}")
                for code in budget_codes
            ],
        ]
        self.fields["department"].choices = [
            ("", gettext("すべての部署")),
            *[(d.pk, f"{d.code} {d.name}") for d in departments],
        ]

    def clean(self):
        data = super().clean()
        low, high = data.get("deadline_from"), data.get("deadline_to")
        if low and high and low > high:
            self.add_error(
                "deadline_to",
                gettext(
                    "支払期限の「まで」は「から」と同じか、それより後の日付にしてください。"
                ),
            )
        return data

    def filter(self, invoices):
        data = self.cleaned_data
        if data["department"]:
            invoices = invoices.filter(department_id=data["department"])
        if counterparty := nfkc(data["counterparty"]):
            invoices = invoices.filter(supplier_name_filter(counterparty))
        if data["deadline_from"]:
            invoices = invoices.filter(payment_deadline__gte=data["deadline_from"])
        if data["deadline_to"]:
            invoices = invoices.filter(payment_deadline__lte=data["deadline_to"])
        if data["fiscal_year"]:
            invoices = invoices.filter(fiscal_year=data["fiscal_year"])
        if data["budget_code"] == NO_BUDGET_CODE:
            invoices = invoices.filter(accounting__budget_code__isnull=True)
        elif data["budget_code"]:
            invoices = invoices.filter(accounting__budget_code_id=data["budget_code"])
        return invoices


class InvoiceIdsField(forms.Field):
    """The ids of the invoices ticked in a list (the template renders the
    checkboxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("追加する請求書にチェックを入れてください。"),
        "invalid": _(
            "請求書の選択が正しくありません。画面を更新して選び直してください。"
        ),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as error:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from error


class AddToBatchForm(forms.Form):
    batch = forms.ModelChoiceField(
        label=_("追加先の支払バッチ"),
        queryset=PaymentBatch.objects.none(),
        empty_label=None,
        widget=PlainSelect,
        error_messages={
            "required": _("追加先の支払バッチを選んでください。"),
            "invalid_choice": _(
                "選んだ支払バッチにはもう追加できません。"
                "作成中のバッチを選ぶか、新しいバッチを作成してください。"
            ),
        },
    )
    invoices = InvoiceIdsField()

    def __init__(self, *args, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches
        self.fields["batch"].label_from_instance = lambda b: (
            gettext("%(number)s（支払日 %(date)s）")
            % {"number": b.number, "date": f"{b.payment_date:%Y/%m/%d}"}
        )


class BatchCreateForm(forms.Form):
    payment_date = JapaneseDateField(
        label=_("支払日（振込指定日）"),
        help_text=_(
            "銀行の営業日を指定してください（土日・祝日・12月31日〜1月3日は不可）。"
        ),
    )


class BatchCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("取消の理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("取消の理由を入力してください。")},
    )


class PayeeChoiceForm(forms.Form):
    """振込先の指定: one of the supplier's current accounts (the template
    renders the radios; the view looks the account up among the
    supplier's) and the reason, which is required."""

    bank_account = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": _("振込先にする口座を選んでください。"),
            "invalid": _("振込先にする口座を選んでください。"),
            "min_value": _("振込先にする口座を選んでください。"),
        },
    )
    reason = forms.CharField(
        label=_("この口座に振り込む理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "請求書の履歴に残り、取引先も見られます。"
            "例: 取引先に以前から把握している電話番号で連絡し、口座の変更を確認した。"
        ),
        error_messages={
            "required": _(
                "この口座に振り込む理由を入力してください"
                "（例: 取引先に電話で口座の変更を確認した）。"
            )
        },
    )


class WithholdingStatementForm(forms.Form):
    """The calendar year of the 支払調書 summary (by payment date)."""

    year = forms.IntegerField(
        label=_("支払の年（1月〜12月）"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs=NUMERIC),
        error_messages={
            "invalid": _("年は西暦の4桁の数字で入力してください（例: 2026）。"),
            "min_value": _("年は2000年以降を入力してください。"),
            "max_value": _("年は2100年までを入力してください。"),
        },
    )


REMITTANCE_MAX_DAYS = 366
REMITTANCE_FORMAT_CHOICES = [
    ("csv-cp932", _("CSV（Excel向け・Shift_JIS）")),
    ("csv-utf8", _("CSV（UTF-8・BOM付き）")),
    ("json", "JSON"),
]


class RemittanceFormatForm(forms.Form):
    """The format of a remittance data download (取引明細データ)."""

    format = forms.ChoiceField(
        label=_("形式"),
        choices=REMITTANCE_FORMAT_CHOICES,
        initial="csv-cp932",
        error_messages={
            "required": _("形式を選んでください。"),
            "invalid_choice": _(
                "形式は CSV（Shift_JIS）・CSV（UTF-8）・JSON から選んでください。"
            ),
        },
    )


class RemittancePeriodForm(RemittanceFormatForm):
    """Every payment notice paid in a period (by payment date), at most
    ``REMITTANCE_MAX_DAYS`` days."""

    date_from = JapaneseDateField(
        label=_("支払日（から）"),
        error_messages={"required": _("期間の初日を入力してください。")},
    )
    date_to = JapaneseDateField(
        label=_("支払日（まで）"),
        error_messages={"required": _("期間の末日を入力してください。")},
    )

    field_order = ("date_from", "date_to", "format")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                raise ValidationError(
                    gettext("期間の末日が初日より前です。日付を入れ替えてください。")
                )
            if (end - start).days >= REMITTANCE_MAX_DAYS:
                raise ValidationError(
                    gettext(
                        "期間は%(days)s日以内にしてください。"
                        "長い期間は分けてダウンロードしてください。"
                    )
                    % {"days": REMITTANCE_MAX_DAYS}
                )
        return cleaned


class ReconciliationUploadForm(forms.Form):
    """入金明細の取込: the bank file, its kind and, for a net-banking CSV,
    which column holds what. The size is checked before a byte is read;
    the content is the service's to judge."""

    ZENGIN, CSV = "zengin", "csv"

    file = forms.FileField(
        label=_("入金明細のファイル"),
        error_messages={
            "required": _("取り込むファイルを選んでください。"),
            "empty": _(
                "ファイルが空です。金融機関からダウンロードしたファイルを選んでください。"
            ),
        },
    )
    kind = forms.ChoiceField(
        label=_("ファイルの種類"),
        choices=[
            (ZENGIN, _("全銀協形式（振込入金通知・入出金取引明細、固定長）")),
            (CSV, _("ネットバンキングのCSV（列を下で指定）")),
        ],
        initial=ZENGIN,
        widget=forms.RadioSelect,
    )
    has_header = forms.BooleanField(
        label=_("1行目は見出し"), required=False, initial=True
    )
    date_column = forms.CharField(
        label=_("入金日の列"),
        required=False,
        max_length=50,
        help_text=_("列の番号（左から1、2…）か、見出しの文字（例: 取引日）。"),
    )
    amount_column = forms.CharField(
        label=_("入金額の列"),
        required=False,
        max_length=50,
        help_text=_("入金と出金が別の列なら、入金の列。"),
    )
    payer_column = forms.CharField(
        label=_("振込依頼人名（カナ）の列"), required=False, max_length=50
    )
    edi_column = forms.CharField(
        label=_("EDI情報・摘要の列（任意）"), required=False, max_length=50
    )

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_mb
        self.fields["file"].help_text = gettext(
            "%(max)sMBまで。全銀協形式（Shift_JIS、1レコード200バイト、"
            "改行あり・なし）か、CSV（UTF-8またはShift_JIS）。"
        ) % {"max": max_mb}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_mb * 1024 * 1024:
            raise ValidationError(
                gettext(
                    "ファイルが大きすぎます（%(size)s）。"
                    "%(max)sMB以下になるよう期間を分けてダウンロードしてください。"
                )
                % {"size": filesizeformat(upload.size), "max": self.max_mb},
                code="too_large",
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == self.CSV:
            for name in ("date_column", "amount_column", "payer_column"):
                if not cleaned.get(name, "").strip():
                    self.add_error(
                        name,
                        gettext("CSVでは「%(label)s」を指定してください。")
                        % {"label": self.fields[name].label},
                    )
        return cleaned

    def mapping_values(self) -> dict:
        data = self.cleaned_data
        return {
            "date": data["date_column"].strip(),
            "amount": data["amount_column"].strip(),
            "payer": data["payer_column"].strip(),
            "edi": data["edi_column"].strip(),
            "has_header": data["has_header"],
        }


class CreditDecideForm(forms.Form):
    """The supplier's choice for an ambiguous credit: one of its options,
    or none of them."""

    NONE = "none"

    option = forms.ChoiceField(
        label=_("この入金で支払われた支払通知"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("候補を1つ選ぶか、「該当なし」を選んでください。")
        },
    )

    def __init__(self, *args, credit, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (
                str(index),
                gettext("・").join(
                    gettext("%(number)s（%(date)s、%(amount)s円）")
                    % {
                        "number": notice.number,
                        "date": f"{notice.batch.payment_date:%Y/%m/%d}",
                        "amount": f"{notice.transfer_amount:,}",
                    }
                    for notice in notices
                ),
            )
            for index, notices in enumerate(credit.option_notices)
        ]
        choices.append((self.NONE, gettext("該当なし（どの支払通知でもない）")))
        self.fields["option"].choices = choices

    def chosen(self) -> int | None:
        value = self.cleaned_data["option"]
        return None if value == self.NONE else int(value)


class PayableBudgetCodeForm(forms.Form):
    """予算科目の指定 of an approved invoice without an order: one of the
    municipality's active codes of the invoice's 会計年度, or none."""

    budget_code = forms.ModelChoiceField(
        label=_("予算科目"),
        queryset=None,
        required=False,
        empty_label=_("指定しない"),
    )

    def __init__(self, *args, budget_codes, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["budget_code"]
        field.queryset = budget_codes
        field.label_from_instance = lambda code: (
            f"{code.account} {code.code} {code.name}"
        )
        field.help_text = gettext("%(year)s 年度の予算科目から選びます。") % {
            "year": fiscal_year
        }
        field.error_messages["invalid_choice"] = gettext(
            "予算科目は %(year)s 年度の有効なものから選んでください。"
        ) % {"year": fiscal_year}
