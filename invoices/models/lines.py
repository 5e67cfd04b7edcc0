"""An invoice's lines and its per-rate tax summary."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from invoices.models.choices import TaxCategory
from invoices.models.invoice import DraftOnlyMixin, Invoice


class InvoiceLine(DraftOnlyMixin, models.Model):
    """明細: one line of an invoice. ``amount`` is the line's price in whole
    yen (quantity × unit price, rounded with the issuer's mode); negative
    for a discount (値引き, negative unit price) or a return (返品, negative
    quantity)."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=gettext_lazy("請求書"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    position = models.PositiveSmallIntegerField(gettext_lazy("行番号"))
    description = models.CharField(gettext_lazy("品名・内容"), max_length=200)
    # 明細備考: printed under the line's item name.
    note = models.CharField(gettext_lazy("明細備考"), max_length=200, blank=True)
    # The delivery note (納品書) the line bills, for lines drafted from
    # inspected deliveries: JP PINT's despatch advice reference.
    delivery_number = models.CharField(
        gettext_lazy("納品書番号"),
        max_length=40,
        blank=True,
        default="",
        db_default="",
    )
    quantity = models.DecimalField(
        gettext_lazy("数量"), max_digits=12, decimal_places=3
    )
    unit = models.CharField(gettext_lazy("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        gettext_lazy("単価"), max_digits=15, decimal_places=3
    )
    tax_category = models.CharField(
        gettext_lazy("税区分"),
        max_length=2,
        choices=TaxCategory,
        default=TaxCategory.STANDARD,
    )
    amount = models.DecimalField(gettext_lazy("金額"), max_digits=15, decimal_places=0)
    withholding = models.BooleanField(
        gettext_lazy("源泉徴収の対象"),
        default=False,
        help_text=gettext_lazy(
            "個人事業主の報酬・料金（所得税法204条）で、源泉徴収の対象となる明細。"
        ),
    )

    class Meta:
        verbose_name = gettext_lazy("明細")
        verbose_name_plural = gettext_lazy("明細")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="invoice_line_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(tax_category__in=TaxCategory.values),
                name="invoice_line_tax_category_valid",
            ),
            # 値引き: negative unit price; 返品: negative quantity; not both.
            models.CheckConstraint(
                condition=(Q(quantity__gt=0) & Q(unit_price__gte=0) & Q(amount__gte=0))
                | (Q(quantity__gt=0) & Q(unit_price__lt=0) & Q(amount__lte=0))
                | (Q(quantity__lt=0) & Q(unit_price__gte=0) & Q(amount__lte=0)),
                name="invoice_line_signs_valid",
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def is_reduced_rate(self) -> bool:
        return self.tax_category == TaxCategory.REDUCED


class InvoiceTaxSummary(DraftOnlyMixin, models.Model):
    """税率ごとの合計: per tax category, the taxable amount (税抜 or 税込 as
    the invoice's price basis) and the consumption tax, rounded once."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=gettext_lazy("請求書"),
        on_delete=models.CASCADE,
        related_name="tax_summaries",
    )
    tax_category = models.CharField(
        gettext_lazy("税区分"), max_length=2, choices=TaxCategory
    )
    rate = models.DecimalField(gettext_lazy("税率"), max_digits=4, decimal_places=3)
    taxable_amount = models.DecimalField(
        gettext_lazy("対象金額"), max_digits=15, decimal_places=0
    )
    tax_amount = models.DecimalField(
        gettext_lazy("消費税額等"), max_digits=15, decimal_places=0
    )

    class Meta:
        verbose_name = gettext_lazy("税率ごとの合計")
        verbose_name_plural = gettext_lazy("税率ごとの合計")
        ordering = ["invoice", "tax_category"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "tax_category"], name="invoice_tax_summary_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_tax_category_display()} {self.taxable_amount}"
