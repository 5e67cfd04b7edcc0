"""Input of the CSV bulk upload (一括アップロード): the file and what to do
with its invoices. The form checks only the size, before anything reads the
file; whether it is a readable CSV is ``invoices.csv_import``'s to say."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_lazy as _

IMPORT_MAX_MB = 20
IMPORT_MAX_BYTES = IMPORT_MAX_MB * 1024 * 1024

DRAFT = "draft"
ISSUE = "issue"


class InvoiceImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSVファイル"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": _("アップロードするCSVファイルを選んでください。"),
            "empty": _("ファイルが空です。内容を保存したCSVファイルを選んでください。"),
        },
    )
    mode = forms.ChoiceField(
        label=_("取り込み方"),
        choices=[(DRAFT, _("下書きとして取り込む")), (ISSUE, _("発行まで行う"))],
        initial=DRAFT,
        widget=forms.RadioSelect,
        help_text=(
            _(
                "下書きなら、内容を画面で確認してから1件ずつ発行できます。"
                "「発行まで行う」と、すべての請求書が宛先の部署に届きます。"
            )
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "%(max)sMBまで。Excelの「CSV（コンマ区切り）」"
            "「CSV UTF-8」のどちらでも読み込めます。"
        ) % {"max": IMPORT_MAX_MB}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Judged on the size the upload declares, before reading a byte.
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                gettext(
                    "ファイルが大きすぎます（%(size)s）。"
                    "%(max)sMB以下に分けてアップロードしてください。"
                )
                % {"size": filesizeformat(upload.size), "max": IMPORT_MAX_MB},
                code="too_large",
            )
        return upload

    @property
    def issue(self) -> bool:
        return self.cleaned_data["mode"] == ISSUE
