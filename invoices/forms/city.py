"""Forms of the city staff's invoice actions: return (差戻し) and approve
(承認・検収). They validate input only; the services do the rest."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.accounting import accounting_defaults, fiscal_year_of_invoice
from invoices.models import ReturnReason, ReturnSeverity
from municipality.selectors import budget_codes_choosable

FUTURE_INSPECTION_DATE = _("検収日に未来の日付は指定できません。")


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("差戻しの理由"),
        choices=[("", _("選んでください")), *ReturnReason.choices],
        error_messages={"required": _("差戻しの理由を選んでください。")},
    )
    explanation = forms.CharField(
        label=_("差戻しの説明"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("取引先に伝わります。どこをどう直せばよいかを書いてください。"),
        error_messages={"required": _("差戻しの説明を入力してください。")},
    )
    severity = forms.ChoiceField(
        label=_("誤りの程度"),
        choices=ReturnSeverity.choices,
        widget=forms.RadioSelect,
        help_text=(
            _(
                "軽微なら差戻しから訂正請求書の受付までは支払期限に数えず、"
                "重大（故意・重大な過失）なら訂正請求書の受付日から数え直します。"
            )
        ),
        error_messages={"required": _("誤りの程度（軽微・重大）を選んでください。")},
    )

    def chosen(self) -> dict[str, str]:
        """The labels of the chosen reason and severity, for the
        confirmation step."""
        data = self.cleaned_data
        return {
            "reason": ReturnReason(data["reason"]).label,
            "severity": ReturnSeverity(data["severity"]).label,
        }


class BudgetCodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.account} {obj.code} {obj.name}"


class ApproveForm(forms.Form):
    inspection_date = forms.DateField(
        label=_("検収日"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("検収日を入力してください。"),
            "invalid": _("検収日は 2025-04-01 のように年-月-日で入力してください。"),
        },
    )

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["inspection_date"].initial = today
        self.fields["inspection_date"].widget.attrs["max"] = today.isoformat()
        if invoice is not None:
            self._add_budget_code(invoice)

    def _add_budget_code(self, invoice):
        """予算科目: the order's, shown read-only, for an invoice that bills
        one; else an optional choice among the municipality's active codes
        of the invoice's 会計年度."""
        defaults = accounting_defaults(invoice)
        if defaults is not None:
            code = defaults.budget_code
            self.fields["budget_code_inherited"] = forms.CharField(
                label=_("予算科目"),
                required=False,
                disabled=True,
                initial=f"{code.code} {code.name}" if code else "",
                help_text=_("発注の予算科目を引き継ぎます。"),
            )
            return
        year = fiscal_year_of_invoice(invoice)
        self.fields["budget_code"] = BudgetCodeChoiceField(
            label=_("予算科目"),
            queryset=budget_codes_choosable(
                municipality=invoice.municipality, fiscal_year=year
            ),
            required=False,
            empty_label=_("指定しない（会計管理者が支払前に指定できます）"),
            help_text=_("%(year)s 年度の予算科目から選びます。") % {"year": year},
            error_messages={
                "invalid_choice": _(
                    "予算科目は %(year)s 年度の有効なものから選んでください。"
                )
                % {"year": year}
            },
        )

    def clean_inspection_date(self):
        # The service refuses it too; here it is refused before the
        # confirmation step asks about it.
        day = self.cleaned_data["inspection_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(FUTURE_INSPECTION_DATE)
        return day
