"""The supplier's reconciliation of incoming payments (売掛金消込): its
uploads of bank files, the credits read from them and how each was paired
with payment notices, and the invoices it thereby knows are paid
(入金確認済). Supplier-side records: the city's invoice status is not
touched, and the rows belong to the supplier (filtered by it, like its
bank accounts), not to a municipality."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy as _


class ReconciliationSource(models.TextChoices):
    ZENGIN_01 = "zengin01", _("全銀 振込入金通知（種別01）")
    ZENGIN_03 = "zengin03", _("全銀 入出金取引明細（種別03）")
    CSV = "csv", _("ネットバンキングのCSV")


class Reconciliation(models.Model):
    """One bank file a supplier uploaded (入金明細の取込), read and matched
    in one transaction. The same file (by SHA-256) is taken once."""

    supplier = models.ForeignKey(
        "partners.Supplier",
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="reconciliations",
    )
    source = models.CharField(
        _("ファイルの種類"), max_length=10, choices=ReconciliationSource
    )
    filename = models.CharField(_("ファイル名"), max_length=255)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    csv_mapping = models.JSONField(_("CSVの列の指定"), default=dict, blank=True)
    skipped_count = models.PositiveIntegerField(
        _("入金以外の行"),
        default=0,
        help_text=_("出金・取消など、消込の対象にしなかった行の数。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取り込んだ人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("取込日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("入金消込")
        verbose_name_plural = _("入金消込")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "sha256"],
                name="reconciliation_file_once",
                violation_error_message=_("このファイルはすでに取り込んでいます。"),
            ),
        ]

    def __str__(self):
        return gettext("入金消込 %(filename)s（%(created)s）") % {
            "filename": self.filename,
            "created": self.created_at,
        }


class CreditOutcome(models.TextChoices):
    MATCHED = "matched", _("消込済")
    AMBIGUOUS = "ambiguous", _("要選択")
    UNMATCHED = "unmatched", _("該当なし")


class MatchMethod(models.TextChoices):
    EDI = "edi", _("EDI情報")
    AMOUNT = "amount", _("金額・日付・振込依頼人名")
    COMBINED = "combined", _("複数の支払通知の合計")
    SHORT = "short", _("手数料差引と思われる不足")
    CHOSEN = "chosen", _("取引先が選択")


class IncomingCredit(models.Model):
    """One credit (入金) of an uploaded file and its outcome. ``options``
    are the sets of notice ids an ambiguous credit may pay (the supplier
    chooses one, or none); ``difference`` is the credit less the notices'
    transfer amounts (negative: paid short, e.g. by a bank fee)."""

    reconciliation = models.ForeignKey(
        Reconciliation,
        verbose_name=_("入金消込"),
        on_delete=models.PROTECT,
        related_name="credits",
    )
    supplier = models.ForeignKey(
        "partners.Supplier",
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    row = models.PositiveIntegerField(_("行"))
    booking_date = models.DateField(_("入金日"))
    amount = models.DecimalField(_("入金額"), max_digits=15, decimal_places=0)
    payer_name = models.CharField(_("振込依頼人名"), max_length=100, blank=True)
    edi = models.CharField(_("EDI情報"), max_length=100, blank=True)
    description = models.CharField(_("摘要"), max_length=100, blank=True)
    reference = models.CharField(_("照会番号"), max_length=20, blank=True)
    outcome = models.CharField(_("結果"), max_length=10, choices=CreditOutcome)
    method = models.CharField(
        _("照合方法"), max_length=10, choices=MatchMethod, blank=True
    )
    note = models.CharField(_("補足"), max_length=20, blank=True)
    notices = models.ManyToManyField(
        "municipality.PaymentNotice",
        verbose_name=_("支払通知"),
        related_name="credits",
        blank=True,
    )
    options = models.JSONField(_("候補"), default=list, blank=True)
    difference = models.DecimalField(
        _("差額"), max_digits=15, decimal_places=0, default=0
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("選んだ人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("選択日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("入金明細")
        verbose_name_plural = _("入金明細")
        ordering = ["reconciliation", "row"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=CreditOutcome.values) & Q(amount__gt=0),
                name="incoming_credit_valid",
            ),
        ]

    def __str__(self):
        return gettext("%(row)s行目 %(date)s %(amount)s円") % {
            "row": self.row,
            "date": self.booking_date,
            "amount": self.amount,
        }


class InvoicePaymentConfirmation(models.Model):
    """入金確認済: the supplier saw the money for this invoice arrive, in
    this credit. Once per invoice."""

    supplier = models.ForeignKey(
        "partners.Supplier",
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.OneToOneField(
        "invoices.Invoice",
        verbose_name=_("請求書"),
        on_delete=models.PROTECT,
        related_name="payment_confirmation",
    )
    credit = models.ForeignKey(
        IncomingCredit,
        verbose_name=_("入金明細"),
        on_delete=models.PROTECT,
        related_name="confirmations",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("確認した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("入金確認日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("入金確認")
        verbose_name_plural = _("入金確認")

    def __str__(self):
        return gettext("%(invoice)s 入金確認済") % {"invoice": self.invoice}
