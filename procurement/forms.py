"""Input of the procurement pages; validation of content is the services'."""

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from invoices.fields import AmountField, JapaneseDateField, LooseDecimalField
from invoices.models import TaxCategory
from municipality.models import BudgetCode
from procurement.models import Order
from procurement.services.deliveries import DeliveryLineInput, InspectionResult

CSV_MAX_BYTES = 5 * 1024 * 1024


class BudgetCodeForm(forms.ModelForm):
    class Meta:
        model = BudgetCode
        fields = [
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
            "is_active",
        ]

    def validate_unique(self):
        # The service checks uniqueness (inside the tenant scope).
        pass


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSVファイル"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_("UTF-8（BOM付き）とShift_JIS（CP932）に対応しています。"),
        error_messages={"required": _("取り込むCSVファイルを選んでください。")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（5MBまで）。分けて取り込んでください。")
            )
        return upload


class FiscalYearFilterForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(
        label=_("会計年度"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [("", _("すべて"))] + [
            (y, str(y)) for y in years
        ]


class BudgetCodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.fiscal_year} {obj.account} {obj.code} {obj.name}"


class ConnectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.supplier.legal_name}（{obj.department.name}）"


class OrderForm(forms.ModelForm):
    """The order's header. ``connections`` are the supplier registrations
    of the user's departments; ``budget_codes`` the municipality's active
    codes."""

    connection = ConnectionChoiceField(
        label=_("取引先（発注部署）"), queryset=None, empty_label=_("選んでください")
    )
    budget_code = BudgetCodeChoiceField(
        label=_("予算科目"), queryset=None, empty_label=_("選んでください")
    )
    ceiling_amount = AmountField(
        label=_("上限額（税込）"),
        required=False,
        help_text=_("単価契約の契約金額の上限。"),
    )

    class Meta:
        model = Order
        fields = [
            "connection",
            "kind",
            "number",
            "order_date",
            "fiscal_year",
            "budget_code",
            "subject",
            "delivery_place",
            "delivery_date",
            "period_start",
            "period_end",
            "ceiling_amount",
            "is_works",
            "notes",
        ]
        field_classes = {
            "order_date": JapaneseDateField,
            "delivery_date": JapaneseDateField,
            "period_start": JapaneseDateField,
            "period_end": JapaneseDateField,
        }
        widgets = {
            "kind": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, connections, budget_codes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        self.fields["budget_code"].queryset = budget_codes

    def _post_clean(self):
        # The service validates the order as a whole (inside the scope).
        pass


class OrderLineForm(forms.Form):
    description = forms.CharField(label=_("品名・内容"), max_length=200, required=False)
    quantity = LooseDecimalField(
        label=_("数量"), max_digits=12, decimal_places=3, required=False
    )
    unit = forms.CharField(label=_("単位"), max_length=20, required=False)
    unit_price = LooseDecimalField(
        label=_("単価（税抜）"), max_digits=15, decimal_places=3, required=False
    )
    tax_category = forms.ChoiceField(
        label=_("税区分"), choices=TaxCategory.choices, initial=TaxCategory.STANDARD
    )

    def clean(self):
        data = super().clean()
        if data.get("description") and data.get("unit_price") is None:
            self.add_error("unit_price", _("単価を入れてください。"))
        if data.get("unit_price") is not None and not data.get("description"):
            self.add_error("description", _("品名・内容を入れてください。"))
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("description") and data.get("unit_price") is None


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=0, max_num=200)


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": _("内容を入力してください。")},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("理由を入力してください。")},
    )


class DeliveryForm(forms.Form):
    """A delivery against ``order``: a quantity field per order line."""

    number = forms.CharField(label=_("納品書番号"), max_length=40)
    delivered_on = JapaneseDateField(label=_("納品日"))
    notes = forms.CharField(
        label=_("備考"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order.lines.all())
        for line in self.order_lines:
            self.fields[f"line_{line.pk}"] = LooseDecimalField(
                label=line.description,
                max_digits=12,
                decimal_places=3,
                required=False,
                min_value=0,
                help_text=line.unit,
            )

    def line_fields(self):
        return [self[f"line_{line.pk}"] for line in self.order_lines]

    def lines(self) -> list[DeliveryLineInput]:
        return [
            DeliveryLineInput(order_line=line, quantity=quantity)
            for line in self.order_lines
            if (quantity := self.cleaned_data.get(f"line_{line.pk}"))
        ]


class BillForm(forms.Form):
    number = forms.CharField(label=_("請求書番号"), max_length=40)
    issue_date = JapaneseDateField(label=_("請求日"))


class InspectForm(forms.Form):
    result = forms.ChoiceField(
        label=_("検収の結果"),
        widget=forms.RadioSelect,
        choices=[
            (InspectionResult.ACCEPTED, _("合格（納品どおり）")),
            (InspectionResult.CORRECTED, _("合格（数量を訂正）")),
            (InspectionResult.REJECTED, _("不合格")),
        ],
    )
    inspected_on = JapaneseDateField(label=_("検収日"))
    reason = forms.CharField(
        label=_("不合格の理由・訂正の理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, delivery, **kwargs):
        super().__init__(*args, **kwargs)
        self.delivery_lines = list(delivery.lines.select_related("order_line"))
        for line in self.delivery_lines:
            self.fields[f"accepted_{line.pk}"] = LooseDecimalField(
                label=gettext("%(item)s の検収数量（納品 %(quantity)s）")
                % {
                    "item": line.order_line.description,
                    "quantity": f"{line.quantity.normalize():f}",
                },
                max_digits=12,
                decimal_places=3,
                required=False,
                min_value=0,
            )

    def accepted_quantities(self) -> dict:
        return {
            line.pk: value
            for line in self.delivery_lines
            if (value := self.cleaned_data.get(f"accepted_{line.pk}")) is not None
        }
