"""Form fields for what people type into one cell: dates, yen amounts and
decimals as written in Japan, full-width digits included, and ``nfkc``,
the one normalisation every reader of typed text shares; and
``PlainSelect``, the list pages' quick ``<select>``.

The CSV upload (``invoices.csv_import``), the search forms
(``invoices.search``, ``invoices.filters``), the invoice forms
(``invoices.forms``) and the treasury's forms all read cells with these.
Form fields, not model fields (those are in ``municipality.fields``). The
module imports nothing of the project, so every app can use it without an
import cycle: ``invoices.forms`` and ``invoices.search`` import the models
and services, which a field module must not pull in.
"""

import re
import unicodedata
from datetime import date
from decimal import Decimal

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

_DATE = re.compile(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?")
AMOUNT_DIGITS = 15  # as Invoice.total (max_digits)
# What people type around a yen amount: thousands separators, 円 and ¥.
_AMOUNT_NOISE = re.compile(r"[,\s円¥]")
# What people type around numbers: thousands separators, yen signs, and the
# minus signs of Japanese accounts (▲1,000, △1,000, and the −1,000 the
# portal shows). NFKC has already turned their full-width forms into these.
_NUMBER_NOISE = str.maketrans(
    {",": None, "¥": None, "円": None, "▲": "-", "△": "-", "−": "-"}
)


def nfkc(value: str) -> str:
    """Full-width letters and digits made half-width (NFKC), surrounding
    spaces removed: how codes, numbers and search words are compared."""
    return unicodedata.normalize("NFKC", value).strip()


def _number_text(value) -> str:
    """``"１，２００円"`` → ``"1200"``, ``"▲1,000"`` → ``"-1000"``: numbers as
    typed with a Japanese IME, made readable as a decimal number."""
    return nfkc(str(value)).translate(_NUMBER_NOISE).strip()


class JapaneseDateField(forms.DateField):
    """A date typed as 2025-04-01, 2025/4/1 or 2025年4月1日, in full-width
    digits too (the browser's date picker sends the first form)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        if match := _DATE.fullmatch(nfkc(str(value))):
            try:
                return date(*map(int, match.groups()))
            except ValueError:
                pass  # no such day, e.g. 2025-02-30
        raise forms.ValidationError(
            gettext(
                "日付を正しく入力してください（例: 2025-04-01 または 2025/4/1）。"
                "存在しない日付は指定できません。"
            ),
            code="invalid",
        )


class AmountField(forms.Field):
    """A whole-yen amount as people type it: ``1,000``, ``１０００``, ``1000円``."""

    widget = forms.TextInput(attrs={"inputmode": "numeric"})

    def to_python(self, value) -> Decimal | None:
        text = _AMOUNT_NOISE.sub("", nfkc(value or ""))
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise forms.ValidationError(
                gettext(
                    "金額は0以上の整数で入力してください（例: 10000 または 10,000）。"
                ),
                code="invalid",
            )
        if len(text.lstrip("0")) > AMOUNT_DIGITS:
            raise forms.ValidationError(
                gettext("金額は%(digits)s桁以内で入力してください。")
                % {"digits": AMOUNT_DIGITS},
                code="max_digits",
            )
        return Decimal(text)


class LooseDecimalField(forms.DecimalField):
    """A decimal as people type it: ``１，２００``, ``¥1,200``, ``1200円``,
    ``▲1,000``."""

    # No numeric keypad (inputmode): phones' keypads lack the minus sign a
    # discount or a return needs.
    widget = forms.TextInput(attrs={"autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return super().to_python(_number_text(value))


class PlainSelect(forms.Select):
    """A ``Select`` that writes its options in Python: Django renders a
    template per option, which made a list of a city's departments several
    milliseconds of every payables page. Same HTML; no option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )
