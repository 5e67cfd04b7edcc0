"""An approved invoice's accounting facts for the treasury (会計情報)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from municipality.models.budget import BudgetCode
from municipality.models.municipality import Municipality


class InvoiceAccounting(models.Model):
    """What the 支出命令 for an approved invoice needs besides the invoice
    itself: its 会計年度, 予算科目, 支出負担行為番号 and 検収日. Written at
    approval (from the invoice's order, if it bills one, else from the
    approver's choice); the treasury may set the budget code of an invoice
    without an order until it is in a batch. Lives beside the treasury
    models, which read it; invoices and procurement write it through
    services only."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.OneToOneField(
        "invoices.Invoice",
        verbose_name=_("請求書"),
        on_delete=models.PROTECT,
        related_name="accounting",
    )
    fiscal_year = models.PositiveSmallIntegerField(_("会計年度"))
    budget_code = models.ForeignKey(
        BudgetCode,
        verbose_name=_("予算科目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_accounting",
    )
    commitment_number = models.CharField(
        _("支出負担行為番号"), max_length=40, blank=True
    )
    inspected_on = models.DateField(_("検収日"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新した人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("請求書の会計情報")
        verbose_name_plural = _("請求書の会計情報")
        indexes = [
            models.Index(
                fields=["municipality", "fiscal_year", "budget_code"],
                name="invoice_accounting_year_code",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=2000) & Q(fiscal_year__lte=2100),
                name="invoice_accounting_fiscal_year_range",
            ),
        ]

    def __str__(self):
        return f"{self.invoice} {self.fiscal_year}"
