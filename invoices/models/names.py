"""The names suppliers' invoices were issued under, for the search by
取引先 (電子帳簿保存法)."""

from django.db import models
from django.utils.translation import gettext_lazy

from partners.models import Supplier


class CounterpartyName(models.Model):
    """One name (名称・カナ・登録番号) that a supplier's issued invoices
    carry, recorded at issue. The search by 取引先 looks here and at the
    supplier's current name, then takes the matching suppliers' invoices
    through an index: a renamed supplier stays findable by the name printed
    on its invoices without reading every invoice's snapshot."""

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=gettext_lazy("取引先"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(gettext_lazy("名称"), max_length=200)
    name_kana = models.CharField(gettext_lazy("名称（カナ）"), max_length=200)
    registration_number = models.CharField(
        gettext_lazy("登録番号"), max_length=14, blank=True
    )

    class Meta:
        verbose_name = gettext_lazy("発行時の取引先名")
        verbose_name_plural = gettext_lazy("発行時の取引先名")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "name", "name_kana", "registration_number"],
                name="counterparty_name_unique",
            ),
        ]

    def __str__(self):
        return self.name
