"""The invoice's choices: statuses, tax categories, withholding and return reasons."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy


class TaxCategory(models.TextChoices):
    """税区分 of a line, coded as in UNCL5305 (JP PINT): S 10%, AA 8%."""

    STANDARD = "S", gettext_lazy("10%（標準税率）")
    REDUCED = "AA", gettext_lazy("8%（軽減税率）")
    EXEMPT = "E", gettext_lazy("非課税")
    OUT_OF_SCOPE = "O", gettext_lazy("不課税")
    EXPORT = "G", gettext_lazy("免税（輸出）")


TAX_RATES = {
    TaxCategory.STANDARD: Decimal("0.10"),
    TaxCategory.REDUCED: Decimal("0.08"),
    TaxCategory.EXEMPT: Decimal("0"),
    TaxCategory.OUT_OF_SCOPE: Decimal("0"),
    TaxCategory.EXPORT: Decimal("0"),
}


class WithholdingKind(models.TextChoices):
    """How the withholding income tax (源泉徴収税額, 所得税法204条) on an
    individual's fees is computed (jp-invoice-law.md §1.6)."""

    GENERAL = (
        "general",
        gettext_lazy("報酬・料金（10.21%、100万円を超える部分は20.42%）"),
    )
    SCRIVENER = (
        "scrivener",
        gettext_lazy(
            "司法書士・土地家屋調査士・海事代理士の報酬（1万円を超える部分の10.21%）"
        ),
    )


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("下書き")
    ISSUED = "issued", gettext_lazy("未開封")
    OPENED = "opened", gettext_lazy("開封済")
    RETURNED = "returned", gettext_lazy("差戻し")
    APPROVED = "approved", gettext_lazy("承認済")
    WITHDRAWN = "withdrawn", gettext_lazy("取下げ")
    SCHEDULED = "scheduled", gettext_lazy("支払予定")
    PAID = "paid", gettext_lazy("支払済")


class ReturnReason(models.TextChoices):
    """差戻しの理由の区分."""

    AMOUNT = "amount", gettext_lazy("金額の誤り")
    TAX = "tax", gettext_lazy("消費税額・税区分の誤り")
    REGISTRATION = "registration", gettext_lazy("登録番号の誤り")
    ADDRESSEE = "addressee", gettext_lazy("宛先の誤り")
    DESCRIPTION = "description", gettext_lazy("品名・内容の誤り")
    ATTACHMENT = "attachment", gettext_lazy("添付書類の不足")
    OTHER = "other", gettext_lazy("その他")


class ReturnSeverity(models.TextChoices):
    """支払遅延防止法6条2項: a minor error pauses the payment clock, a serious
    one (故意又は重大な過失) restarts it at resubmission."""

    MINOR = "minor", gettext_lazy("軽微（期間を停止）")
    SERIOUS = "serious", gettext_lazy("重大（再提出から起算）")
