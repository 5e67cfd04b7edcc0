"""Input of the supplier's invoice screens: the invoice's header, its lines
(a formset whose rows can be added, removed and reordered) and attachments.
Forms only validate; the services save and compute the amounts."""

import sys
from decimal import Decimal
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME
from django.utils.translation import gettext, gettext_lazy as _

from invoices.attachments import ALLOWED_TEXT, ATTACHMENT_ACCEPT, attachment_check
from invoices.fields import LooseDecimalField, nfkc
from invoices.models import Invoice, InvoiceStatus, TaxCategory, WithholdingKind
from invoices.selectors import invoice_list_for_supplier
from invoices.services.drafts import LINE_FIELDS, LineInput
from invoices.tax import (
    QUANTITY_ZERO,
    Totals,
    invoice_totals,
    line_amount,
    line_sign_problem,
)
from invoices.withholding import Withholding, corporation_problem, invoice_withholding
from partners.models import Connection, PriceBasis, Supplier
from partners.selectors import connection_list_for_supplier

EXTRA_LINES = 3
# Line amounts are stored in 15 digits of whole yen.
AMOUNT_LIMIT = Decimal(10) ** 15
# Fields of a line the user types into; a row with none of them is empty.
_TYPED_LINE_FIELDS = ("description", "note", "quantity", "unit", "unit_price")


def connection_choices(supplier: Supplier):
    """Where the supplier may send an invoice now (active connections)."""
    return connection_list_for_supplier(supplier=supplier).filter(
        is_active=True, department__is_active=True
    )


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConnectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.municipality.name} {obj.department.name}"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files, each checked by its content; cleans to a list of
    ``CheckedAttachment`` and reports every refused file."""

    widget = MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})

    def clean(self, data, initial=None):
        checked, errors = [], []
        for upload in data or []:
            try:
                checked.append(attachment_check(upload))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return checked


class InvoiceForm(forms.Form):
    """The invoice's header and new attachments."""

    connection = ConnectionChoiceField(
        label=_("宛先"),
        queryset=Connection.objects.none(),
        empty_label=_("選んでください"),
        error_messages={
            "required": _("宛先の自治体と部署を選んでください。"),
            "invalid_choice": _("宛先を一覧から選び直してください。"),
        },
    )
    number = forms.CharField(
        label=_("請求書番号"),
        max_length=40,
        help_text=_("自動で付けた番号です。自社の番号に変えてもかまいません。"),
        error_messages={"required": _("請求書番号を入力してください。")},
    )
    issue_date = forms.DateField(
        label=_("請求日"),
        widget=_date_input(),
        error_messages={"required": _("請求日を入力してください。")},
    )
    transaction_date = forms.DateField(
        label=_("取引日"),
        widget=_date_input(),
        help_text=_("納品日や役務の提供日。期間の場合は開始日。"),
        error_messages={"required": _("取引日を入力してください。")},
    )
    transaction_end_date = forms.DateField(
        label=_("取引期間の終了日"),
        widget=_date_input(),
        required=False,
        help_text=_("1日だけの取引なら空欄のままにしてください。"),
    )
    due_date = forms.DateField(
        label=_("支払期日"), widget=_date_input(), required=False
    )
    subject = forms.CharField(label=_("件名"), max_length=200, required=False)
    order_number = forms.CharField(
        label=_("注文番号（支出負担行為番号）"),
        max_length=40,
        required=False,
        help_text=_(
            "市の発注書・契約書の番号。書くと、市の画面で発注・検収の内容と"
            "照合されます。"
        ),
        error_messages={
            "max_length": _("注文番号は40文字以内で入力してください。"),
        },
    )
    notes = forms.CharField(
        label=_("備考"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    price_basis = forms.ChoiceField(
        label=_("単価の表示"),
        choices=PriceBasis.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "単価を税抜で書くか税込で書くか。消費税は税率ごとに1回だけ計算します。"
        ),
    )
    withholding_kind = forms.ChoiceField(
        label=_("源泉徴収の区分"),
        choices=WithholdingKind.choices,
        initial=WithholdingKind.GENERAL,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "「源泉徴収」に印を付けた明細（報酬・料金）の税抜の合計から、"
            "源泉徴収税額を計算します（1円未満切り捨て）。"
        ),
    )
    attachments = AttachmentsField(
        label=_("添付書類を追加"),
        required=False,
    )

    def __init__(self, *args, supplier: Supplier, invoice: Invoice | None, **kwargs):
        super().__init__(*args, **kwargs)
        if not supplier.is_individual:
            # Only an individual's fees are withheld on (所得税法204条).
            del self.fields["withholding_kind"]
        self.fields["attachments"].help_text = gettext(
            "%(allowed)s。1ファイル10MBまで、複数選べます。"
            "入力の誤りで画面が再表示されたときは、選び直してください。"
        ) % {"allowed": ALLOWED_TEXT}
        self.supplier = supplier
        self.invoice = invoice
        self.fields["connection"].queryset = connection_choices(supplier)

    def clean_number(self):
        number = nfkc(self.cleaned_data["number"])
        taken = invoice_list_for_supplier(supplier=self.supplier).filter(number=number)
        if self.invoice is not None:
            taken = taken.exclude(pk=self.invoice.pk)
        if taken.exists():
            raise ValidationError(
                gettext(
                    "請求書番号「%(number)s」はすでに使われています。"
                    "別の番号にしてください。"
                )
                % {"number": number}
            )
        return number

    def clean_withholding_kind(self):
        return self.cleaned_data["withholding_kind"] or WithholdingKind.GENERAL

    def clean(self):
        cleaned = super().clean()
        start, end = (
            cleaned.get("transaction_date"),
            cleaned.get("transaction_end_date"),
        )
        if start and end and end < start:
            self.add_error(
                "transaction_end_date",
                gettext(
                    "取引期間の終了日は取引日（開始日）と同じか、それより後の日付にしてください。"
                ),
            )
        return cleaned

    def draft_fields(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("connection", "attachments")
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors a service raised, on the field they name when it is here."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)

    def unbound_copy(self) -> "InvoiceForm":
        """The same form unbound, showing what was typed without errors."""
        initial = {
            name: self[name].value() for name in self.fields if name != "attachments"
        }
        return type(self)(supplier=self.supplier, invoice=self.invoice, initial=initial)


def _line_messages(field: forms.Field) -> dict[str, str]:
    # The limits stay placeholders: Django fills them in when it raises.
    values = {"label": field.label, "max": "%(max)s", "limit": "%(limit_value)d"}
    if isinstance(field, forms.ChoiceField):
        messages = {
            "required": gettext("%(label)sを選んでください。"),
            "invalid_choice": gettext("%(label)sを一覧から選んでください。"),
        }
    elif isinstance(field, forms.DecimalField):
        messages = {
            "required": gettext("%(label)sを入力してください。"),
            "invalid": gettext("%(label)sは数字で入力してください（例: 1.5、1,200）。"),
            "max_digits": gettext("%(label)sの桁数が多すぎます（%(max)s桁まで）。"),
            "max_whole_digits": gettext(
                "%(label)sの整数部分は%(max)s桁までにしてください。"
            ),
            "max_decimal_places": gettext(
                "%(label)sは小数点以下%(max)s桁までにしてください。"
            ),
        }
    else:
        messages = {
            "required": gettext("%(label)sを入力してください。"),
            "max_length": gettext("%(label)sは%(limit)s文字以内で入力してください。"),
        }
    return {code: message % values for code, message in messages.items()}


class InvoiceLineForm(forms.Form):
    """One line (明細). Every message starts with the row it is about, as
    the user sees the rows: 「3行目: 単価を入力してください。」."""

    description = forms.CharField(label=_("品名・内容"), max_length=200)
    note = forms.CharField(
        label=_("明細備考"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("明細備考（任意）")}),
    )
    quantity = LooseDecimalField(label=_("数量"), max_digits=12, decimal_places=3)
    unit = forms.CharField(label=_("単位"), max_length=20, required=False)
    unit_price = LooseDecimalField(label=_("単価"), max_digits=15, decimal_places=3)
    tax_category = forms.ChoiceField(
        label=_("税区分"), choices=TaxCategory.choices, initial=TaxCategory.STANDARD
    )
    withholding = forms.BooleanField(label=_("源泉徴収"), required=False)
    # Kept as it was drafted from a delivery; not typed.
    delivery_number = forms.CharField(
        max_length=40, required=False, widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args,
        line_number: int | None = None,
        withholding_allowed: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.line_number = line_number
        self.amount: Decimal | None = None
        self.withholding_allowed = withholding_allowed
        if not withholding_allowed:
            del self.fields["withholding"]
        for field in self.fields.values():
            field.error_messages = {
                code: self.on_line(message)
                for code, message in _line_messages(field).items()
            }

    def on_line(self, message: str) -> str:
        if not self.line_number:
            return message
        return gettext("%(row)s行目: %(message)s") % {
            "row": self.line_number,
            "message": message,
        }

    def has_changed(self):
        # Filled in, rather than different from the initial values: a row
        # of an edited draft is a line even when left as it was.
        return any(str(self[name].value() or "").strip() for name in _TYPED_LINE_FIELDS)

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise ValidationError(self.on_line(str(QUANTITY_ZERO)))
        return quantity

    def clean(self):
        # A discount (値引き) has a negative unit price, a return (返品) a
        # negative quantity (invoices.tax.line_sign_problem).
        cleaned = super().clean()
        quantity, unit_price = cleaned.get("quantity"), cleaned.get("unit_price")
        if (
            quantity is not None
            and unit_price is not None
            and (problem := line_sign_problem(quantity=quantity, unit_price=unit_price))
        ):
            raise ValidationError(self.on_line(problem))
        if quantity and unit_price and abs(quantity * unit_price) >= AMOUNT_LIMIT:
            raise ValidationError(
                self.on_line(
                    gettext("金額が大きすぎます。数量と単価を確認してください。")
                )
            )
        if not self.withholding_allowed and self.withholding_requested():
            # A corporation never sees the box; a crafted request is refused.
            raise ValidationError(self.on_line(corporation_problem()))
        return cleaned

    def withholding_requested(self) -> bool:
        """Whether the row is marked as subject to withholding, as typed."""
        return forms.CheckboxInput().value_from_datadict(
            self.data, self.files, self.add_prefix("withholding")
        )


class BaseLineFormSet(forms.BaseFormSet):
    """The lines. Rows are shown, numbered and saved in the order of their
    order field (set by the script, or typed without it); rows marked for
    deletion and empty rows are left out. ``extra_rows`` empty rows follow
    the given ``initial`` lines."""

    def __init__(
        self,
        *args,
        extra_rows: int = EXTRA_LINES,
        withholding: bool = False,
        **kwargs,
    ):
        # ``withholding``: rows may be marked as subject to withholding
        # (the supplier is an individual).
        self.withholding_allowed = withholding
        super().__init__(*args, **kwargs)
        self.extra = len(self.initial or ()) + extra_rows

    def initial_form_count(self):
        # Every row may be left empty, those of an edited draft included.
        return 0

    def _raw(self, index: int, name: str):
        return self.data.get(f"{self.add_prefix(index)}-{name}")

    def _deleted(self, index: int) -> bool:
        if not self.is_bound:
            return False
        return forms.CheckboxInput().value_from_datadict(
            self.data, self.files, f"{self.add_prefix(index)}-{DELETION_FIELD_NAME}"
        )

    def _order_key(self, index: int) -> tuple[int, int]:
        if not self.is_bound:
            return (index, index)
        try:
            return (int(self._raw(index, ORDERING_FIELD_NAME)), index)
        except (TypeError, ValueError):
            return (sys.maxsize, index)

    @cached_property
    def _order(self) -> list[int]:
        return sorted(range(self.total_form_count()), key=self._order_key)

    @cached_property
    def _line_numbers(self) -> dict[int, int]:
        kept = [index for index in self._order if not self._deleted(index)]
        return {index: number for number, index in enumerate(kept, start=1)}

    def get_form_kwargs(self, index):
        return {
            "line_number": self._line_numbers.get(index),
            "withholding_allowed": self.withholding_allowed,
        }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        order = form.fields[ORDERING_FIELD_NAME]
        order.label = gettext("順番")
        order.error_messages = {
            "invalid": form.on_line(gettext("順番は数字で入力してください。"))
        }
        if index is not None:
            order.initial = form.line_number
        form.fields[DELETION_FIELD_NAME].label = gettext("削除")

    @property
    def forms_in_order(self) -> list[InvoiceLineForm]:
        return [self.forms[index] for index in self._order]

    def lines(self) -> list[LineInput]:
        """The valid formset's lines, in order."""
        return [
            LineInput(
                **{name: form.cleaned_data[name] for name in LINE_FIELDS},
                withholding=form.cleaned_data.get("withholding", False),
            )
            for form in self.forms_in_order
            if form.line_number and form.has_changed()
        ]

    def errors_in_order(self) -> list[str]:
        """Every line's errors, top to bottom, for the summary above them."""
        return [
            message
            for form in self.forms_in_order
            if form.line_number
            for errors in form.errors.values()
            for message in errors
        ]

    def preview(self, *, rounding: str, price_basis: str) -> Totals:
        """Amounts and totals of what is typed so far (the script keeps them
        up to date; the services compute them again on save). Sets
        ``amount`` on each line that has a valid quantity and unit price."""
        amounts = []
        for form in self.forms_in_order:
            quantity = _preview_number(form, "quantity")
            unit_price = _preview_number(form, "unit_price")
            category = form["tax_category"].value()
            if (
                form.line_number
                and quantity is not None
                and unit_price is not None
                and category in TaxCategory.values
            ):
                form.amount = line_amount(
                    quantity=quantity, unit_price=unit_price, rounding=rounding
                )
                amounts.append((category, form.amount))
        if price_basis not in PriceBasis.values:
            price_basis = PriceBasis.EXCLUSIVE
        return invoice_totals(lines=amounts, price_basis=price_basis, rounding=rounding)

    def withholding_preview(self, *, kind: str, total: Decimal) -> Withholding | None:
        """The withholding of what is typed so far, after ``preview``."""
        if not self.withholding_allowed:
            return None
        if kind not in WithholdingKind.values:
            kind = WithholdingKind.GENERAL
        return invoice_withholding(
            lines=[
                (bool(form["withholding"].value()), form.amount)
                for form in self.forms_in_order
                if form.line_number and form.amount is not None
            ],
            kind=kind,
            total=total,
        )

    def with_added_row(self) -> "BaseLineFormSet":
        """「行を追加」 without the script: the rows as typed, in their order
        and without those marked for deletion, plus one empty row."""
        names = (
            (*LINE_FIELDS, "withholding") if self.withholding_allowed else LINE_FIELDS
        )
        initial = [
            {name: form[name].value() for name in names}
            for form in self.forms_in_order
            if form.line_number
        ]
        return type(self)(
            initial=initial,
            prefix=self.prefix,
            extra_rows=1,
            withholding=self.withholding_allowed,
        )


def _preview_number(form: InvoiceLineForm, name: str) -> Decimal | None:
    try:
        value = form.fields[name].clean(form[name].value())
    except ValidationError:
        return None
    return value


LineFormSet = forms.formset_factory(
    InvoiceLineForm, formset=BaseLineFormSet, can_order=True, can_delete=True
)


def line_initial(invoice: Invoice, *, copy: bool = False) -> list[dict]:
    """The draft's lines as the formset's initial rows; a copy bills no
    delivery (its 納品書番号 stay with the original)."""
    return [
        {
            "description": line.description,
            "note": line.note,
            "delivery_number": "" if copy else line.delivery_number,
            "quantity": _plain(line.quantity),
            "unit": line.unit,
            "unit_price": _plain(line.unit_price),
            "tax_category": line.tax_category,
            "withholding": line.withholding,
        }
        for line in invoice.lines.order_by("position")
    ]


def _plain(value: Decimal) -> str:
    # 10.000 → "10", 2.500 → "2.5" (normalize() alone would give "1E+1").
    return f"{value.normalize():f}"


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状態"),
        choices=[("", _("すべて")), *InvoiceStatus.choices],
        required=False,
    )
