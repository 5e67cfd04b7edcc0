"""The receipt-number counter, per municipality and fiscal year."""

from django.db import models
from django.utils.translation import gettext_lazy

from municipality.models import Municipality


class ReceiptCounter(models.Model):
    """The last 受付番号 given in one municipality and fiscal year (会計年度,
    April to March). Locked while a number is taken, so numbers have no gaps
    and no duplicates."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(gettext_lazy("会計年度"))
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = gettext_lazy("受付番号の採番")
        verbose_name_plural = gettext_lazy("受付番号の採番")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="receipt_counter_unique"
            ),
        ]

    def __str__(self):
        return f"{self.municipality} {self.fiscal_year}: {self.last}"
