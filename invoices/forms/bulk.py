"""Forms of the bulk actions: まとめて発行 (the supplier's drafts) and まとめて
承認 (the inbox's opened invoices, with one inspection date). They parse the
ticked IDs only; the views read the invoices through the user's own access,
so an ID the user may not see answers 404."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from invoices.forms.city import ApproveForm

# As many as the longest list page shows (invoices.filters.PAGE_SIZES).
BULK_MAX = 100


class InvoiceIdsField(forms.Field):
    """The ticked invoices' IDs (checkboxes named ``invoices``), sorted and
    without repeats."""

    widget = hidden_widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("請求書を1件以上選んでください。"),
        "invalid": _("請求書の指定が正しくありません。一覧を開き直してください。"),
        "too_many": _("一度に選べるのは %(max)s 件までです。分けて処理してください。"),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(item) for item in value})
        except (TypeError, ValueError) as error:
            raise ValidationError(self.error_messages["invalid"], "invalid") from error
        if any(pk <= 0 for pk in ids):
            raise ValidationError(self.error_messages["invalid"], "invalid")
        if len(ids) > BULK_MAX:
            raise ValidationError(
                self.error_messages["too_many"], "too_many", {"max": BULK_MAX}
            )
        return ids

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], "required")


class BulkIssueForm(forms.Form):
    invoices = InvoiceIdsField(
        error_messages={"required": _("発行する下書きを選んでください。")}
    )


class BulkApproveForm(ApproveForm):
    invoices = InvoiceIdsField(
        error_messages={"required": _("承認する請求書を選んでください。")}
    )
