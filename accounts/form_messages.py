"""Required-field errors that name the field, in every form of the portal
(ours, allauth's, the admin's): 「件名を入力してください。」 instead of
Django's 「このフィールドは必須です。」, which does not say which field.

``install()`` (from ``AccountsConfig.ready``) wraps ``BaseForm.full_clean``:
just before a form is validated, every field that still has Django's
default "required" message gets one with its label. Done then rather than
in ``__init__`` because forms such as allauth's login form add fields and
labels after ``BaseForm.__init__``; and on the message itself, so that it
reads the same however the form is rendered (templates, JSON, tests).
Fields with a message of their own keep it."""

from django import forms
from django.forms.forms import BaseForm
from django.forms.utils import pretty_name
from django.utils.translation import gettext

_DEFAULT_REQUIRED = forms.Field.default_error_messages["required"]
# Fields one picks rather than types.
_CHOSEN = (forms.ChoiceField, forms.ModelChoiceField, forms.FileField)


def required_message(field: forms.Field, name: str) -> str:
    label = str(field.label or pretty_name(name))
    if isinstance(field, forms.BooleanField):
        return gettext("%(label)sにチェックを入れてください。") % {"label": label}
    if isinstance(field, _CHOSEN):
        return gettext("%(label)sを選んでください。") % {"label": label}
    return gettext("%(label)sを入力してください。") % {"label": label}


def name_required_errors(form: BaseForm) -> None:
    """Give every field of ``form`` that has Django's default "required"
    message one that names the field."""
    default = str(_DEFAULT_REQUIRED)
    for name, field in form.fields.items():
        if str(field.error_messages.get("required", "")) == default:
            field.error_messages = {
                **field.error_messages,
                "required": required_message(field, name),
            }


def install() -> None:
    """Wrap ``BaseForm.full_clean`` once (idempotent)."""
    if getattr(BaseForm.full_clean, "names_required_fields", False):
        return
    full_clean = BaseForm.full_clean

    def full_clean_naming_required_fields(self):
        name_required_errors(self)
        full_clean(self)

    full_clean_naming_required_fields.names_required_fields = True
    BaseForm.full_clean = full_clean_naming_required_fields
