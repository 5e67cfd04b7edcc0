"""Fields that store what people type in one canonical form: codes and
numbers (a model field), and postal codes typed with a Japanese IME (a form
field, used by the supplier forms and the admin)."""

import re
import unicodedata

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipality.validators import normalize_identifier


class IdentifierField(models.CharField):
    """A code or number stored in canonical form: half-width, no separators.

    Users paste ``Ｔ１２３４-…`` from Excel or a letterhead; forms, the admin
    and ``full_clean()`` all go through ``to_python``, so normalising here
    covers every entry path before the validators run.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_identifier(value) if value else value


# Dashes an IME produces where a hyphen is meant; NFKC keeps them
# (it turns the full-width hyphen-minus － and half-width ｰ into - and ー).
_DASHES = str.maketrans(dict.fromkeys("ー‐‑‒–—―−﹣", "-"))

POSTAL_CODE_MESSAGE = _("郵便番号は7桁の数字で入力してください（例: 893-8501）。")


def half_width(value: str) -> str:
    """Full-width digits and dashes, as typed with a Japanese IME, to ASCII."""
    return unicodedata.normalize("NFKC", value).translate(_DASHES).strip()


def postal_code_normalize(value: str) -> str:
    """``〒８９３－００１４``, ``893ー0014``, ``8930014`` → ``893-0014``
    (the 〒 is printed by the templates, never stored); ``""`` stays empty.
    Raises ``ValidationError`` for anything but 7 digits."""
    value = half_width(value).removeprefix("〒").strip()
    if not value:
        return ""
    match = re.fullmatch(r"([0-9]{3})[-\s]?([0-9]{4})", value)
    if match is None:
        raise forms.ValidationError(POSTAL_CODE_MESSAGE, code="postal_code")
    return "-".join(match.groups())


class PostalCodeField(forms.CharField):
    """郵便番号, normalised by ``postal_code_normalize``. Longer than the
    stored 8 characters so that 〒 and full-width input are not cut off by
    the browser or refused before they are normalised."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = 20
        kwargs.setdefault("label", _("郵便番号"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "postal-code", "size": 10}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        return postal_code_normalize(super().clean(value))
