"""Treasury (会計管理者・出納室): settings, payment batches, payment notices
and the payee choices.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_lazy as _
from django_scopes import ScopedManager

from municipality.models.municipality import Municipality


class FeeBearer(models.TextChoices):
    """振込手数料: who bears the bank fee (zengin.md §5.3)."""

    PAYER = "payer", _("当方負担（市が負担）")
    PAYEE = "payee", _("先方負担（振込額から差し引く）")


class LineEnding(models.TextChoices):
    CRLF = "crlf", _("CR+LF（各レコードの後）")
    NONE = "none", _("なし（レコードを連続）")


class CsvEncoding(models.TextChoices):
    UTF8_BOM = "utf-8-sig", _("UTF-8（BOM付き）")
    CP932 = "cp932", _("Shift_JIS（CP932）")


class TreasurySettings(models.Model):
    """How the municipality pays: its Zengin originator data (委託者), the
    account debited, who bears the fee, and the file formats its bank and
    財務会計 system expect."""

    municipality = models.OneToOneField(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.CASCADE,
        related_name="treasury_settings",
    )
    originator_code = models.CharField(
        _("委託者コード"),
        max_length=10,
        help_text=_("金融機関から指定された10桁のコード。"),
    )
    originator_name_kana = models.CharField(
        _("委託者名（カナ）"),
        max_length=40,
        help_text=_("振込データに記録する半角カナの名義（例: ｶﾉﾔｼｶｲｹｲｶﾝﾘｼﾔ）。"),
    )
    bank_code = models.CharField(_("金融機関コード"), max_length=4)
    branch_code = models.CharField(_("支店コード"), max_length=3)
    account_type = models.CharField(
        _("預金種目"),
        max_length=1,
        choices=[("1", _("普通")), ("2", _("当座")), ("9", _("その他"))],
        default="1",
    )
    account_number = models.CharField(_("口座番号"), max_length=7)
    fee_bearer = models.CharField(
        _("振込手数料"), max_length=10, choices=FeeBearer, default=FeeBearer.PAYER
    )
    # 先方負担の手数料表 (bank contract): same branch / same bank / other bank,
    # below and from 30,000 yen.
    fee_same_branch_small = models.PositiveIntegerField(
        _("同一店宛 3万円未満"), default=0
    )
    fee_same_branch_large = models.PositiveIntegerField(
        _("同一店宛 3万円以上"), default=0
    )
    fee_same_bank_small = models.PositiveIntegerField(
        _("本支店宛 3万円未満"), default=110
    )
    fee_same_bank_large = models.PositiveIntegerField(
        _("本支店宛 3万円以上"), default=330
    )
    fee_other_bank_small = models.PositiveIntegerField(
        _("他行宛 3万円未満"), default=440
    )
    fee_other_bank_large = models.PositiveIntegerField(
        _("他行宛 3万円以上"), default=660
    )
    line_ending = models.CharField(
        _("振込データの改行"), max_length=4, choices=LineEnding, default=LineEnding.CRLF
    )
    csv_encoding = models.CharField(
        _("財務会計CSVの文字コード"),
        max_length=10,
        choices=CsvEncoding,
        default=CsvEncoding.CP932,
    )
    four_eyes = models.BooleanField(
        _("支払の承認を必須にする"),
        default=False,
        help_text=_(
            "有効にすると、作成者とは別の会計担当者が承認するまで振込データを作成できません。"
        ),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("会計の設定")
        verbose_name_plural = _("会計の設定")
        constraints = [
            models.CheckConstraint(
                condition=Q(originator_code__regex=r"^[0-9]{10}$")
                & Q(bank_code__regex=r"^[0-9]{4}$")
                & Q(branch_code__regex=r"^[0-9]{3}$")
                & Q(account_number__regex=r"^[0-9]{7}$"),
                name="treasury_settings_codes_format",
            ),
        ]

    def __str__(self):
        return gettext("%(municipality)s の会計の設定") % {
            "municipality": self.municipality
        }


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("作成中")
    APPROVED = "approved", _("承認済")
    EXPORTED = "exported", _("振込データ作成済")
    PAID = "paid", _("支払済")
    CANCELLED = "cancelled", _("取消")


class PaymentBatch(models.Model):
    """A payment run (支払バッチ): approved invoices paid on one bank
    business day, exported as one Zengin 総合振込 file.

    ``four_eyes`` is the treasury settings' rule when the batch was created;
    turning the setting off later does not let this batch skip approval.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="payment_batches",
    )
    number = models.CharField(_("バッチ番号"), max_length=20)
    payment_date = models.DateField(_("支払日（振込指定日）"))
    # Taken from the first invoices added; a batch never mixes years.
    fiscal_year = models.PositiveSmallIntegerField(
        _("会計年度"), null=True, blank=True, editable=False
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=BatchStatus, default=BatchStatus.DRAFT
    )
    four_eyes = models.BooleanField(
        _("承認が必要"),
        default=False,
        editable=False,
        help_text=_(
            "作成時の「支払の承認を必須にする」。あとで設定を変えても、"
            "このバッチには作成時の決まりが適用されます。"
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承認した人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    exported_at = models.DateTimeField(_("振込データ作成日時"), null=True, blank=True)
    zengin_file = models.FileField(_("振込データ"), upload_to="zengin/", blank=True)
    zengin_sha256 = models.CharField(
        _("振込データのSHA-256"), max_length=64, blank=True
    )
    paid_at = models.DateTimeField(_("支払日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    cancel_reason = models.TextField(_("取消の理由"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("支払バッチ")
        verbose_name_plural = _("支払バッチ")
        ordering = ["-payment_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="payment_batch_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values),
                name="payment_batch_status_valid",
            ),
        ]

    def __str__(self):
        return gettext("支払バッチ %(number)s（%(payment_date)s）") % {
            "number": self.number,
            "payment_date": self.payment_date,
        }


class PaymentBatchItem(models.Model):
    """An approved invoice in a batch. ``active`` is false once the batch is
    cancelled; an invoice is in at most one active batch (a database
    constraint, so two treasury users cannot add it twice at once)."""

    batch = models.ForeignKey(
        PaymentBatch,
        verbose_name=_("支払バッチ"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("請求書"),
        on_delete=models.PROTECT,
        related_name="batch_items",
    )
    active = models.BooleanField(_("有効"), default=True)
    added_at = models.DateTimeField(_("追加日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("支払バッチの請求書")
        verbose_name_plural = _("支払バッチの請求書")
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(active=True),
                name="invoice_in_one_active_batch",
                violation_error_message=_(
                    "この請求書はすでに別の支払バッチに入っています。"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.batch} / {self.invoice}"


class PaymentNotice(models.Model):
    """支払通知: one transfer of a batch — one supplier and bank account —
    listing the invoices it pays. Its number is written into the transfer's
    EDI field, so the supplier's bank statement shows it. The transfer is
    the invoices' total less the withholding income tax (源泉徴収税額) the
    city pays to the tax office and less the fee the supplier bears."""

    batch = models.ForeignKey(
        PaymentBatch,
        verbose_name=_("支払バッチ"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    supplier = models.ForeignKey(
        "partners.Supplier",
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="payment_notices",
    )
    number = models.CharField(_("支払通知番号"), max_length=20)
    bank_account = models.JSONField(_("振込先（記録時）"), default=dict)
    amount = models.DecimalField(_("請求額合計"), max_digits=15, decimal_places=0)
    withholding_tax = models.DecimalField(
        _("源泉徴収税額"),
        max_digits=15,
        decimal_places=0,
        default=0,
        help_text=_("請求額から差し引き、自治体が税務署に納める所得税。"),
    )
    fee = models.DecimalField(_("差し引いた手数料"), max_digits=15, decimal_places=0)
    transfer_amount = models.DecimalField(_("振込額"), max_digits=15, decimal_places=0)
    invoices = models.ManyToManyField(
        "invoices.Invoice", verbose_name=_("請求書"), related_name="payment_notices"
    )
    pdf = models.FileField("PDF", upload_to="payment-notices/", blank=True)
    sent_at = models.DateTimeField(_("送付日時"), null=True, blank=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("支払通知")
        verbose_name_plural = _("支払通知")
        ordering = ["batch", "number"]
        indexes = [
            # The batch list's total of an exported or paid batch, read from
            # the index alone (PostgreSQL; SQLite has no INCLUDE).
            models.Index(
                fields=["batch"],
                include=["municipality", "amount"],
                name="payment_notice_batch_amount",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="payment_notice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    transfer_amount=F("amount") - F("withholding_tax") - F("fee")
                )
                & Q(fee__gte=0)
                & Q(withholding_tax__gte=0)
                & Q(transfer_amount__gt=0),
                name="payment_notice_amounts_consistent",
            ),
        ]

    def __str__(self):
        return gettext("支払通知 %(number)s（%(supplier)s）") % {
            "number": self.number,
            "supplier": self.supplier,
        }


class PayeeChoice(models.Model):
    """The treasury's choice of the account an approved invoice is paid to
    (振込先の指定), made with a stated reason when the account the invoice
    names was changed or removed since issue, or it names none.

    The invoice's frozen snapshot is never touched: the Zengin file and the
    payment notice use the newest choice instead. Append-only; each choice
    is an invoice event and is mailed to the supplier's owners.
    ``recently_changed``: the account was added or changed within 30 days
    of the choice (the usual pattern of invoice fraud).
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("請求書"),
        on_delete=models.PROTECT,
        related_name="payee_choices",
    )
    bank_account = models.JSONField(_("振込先（指定時）"))
    source_account = models.ForeignKey(
        "partners.BankAccount",
        verbose_name=_("選んだ口座"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    account_changed_at = models.DateTimeField(_("口座の登録・変更日時"))
    recently_changed = models.BooleanField(_("30日以内に変更された口座"))
    reason = models.TextField(_("理由"))
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("指定日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("振込先の指定")
        verbose_name_plural = _("振込先の指定")
        ordering = ["invoice", "pk"]

    def __str__(self):
        return f"{self.invoice} → {self.bank_account.get('account_number', '')}"
