"""The city's budget codes (予算科目), one set per fiscal year."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from municipality.models.municipality import Municipality

# The levels of a 予算科目 in order (款・項・目・節・細節); 細節 may be empty.
LEVELS = ("kan", "kou", "moku", "setsu", "saisetsu")


class BudgetCode(models.Model):
    """One 予算科目 of one 会計年度, as the city's 財務会計 system has it:
    the 会計区分 (一般会計, a 特別会計) and the codes and names of 款・項・
    目・節・細節. Orders (支出負担行為) name one; a code of another year
    cannot be chosen for them, and an approved invoice's accounting record
    (``InvoiceAccounting``) carries one to the treasury. Codes are imported
    by CSV and edited by city administrators; one in use is deactivated,
    never deleted."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="budget_codes",
    )
    fiscal_year = models.PositiveSmallIntegerField(_("会計年度"))
    account = models.CharField(
        _("会計区分"), max_length=40, help_text=_("例: 一般会計、国民健康保険特別会計")
    )
    kan = models.CharField(_("款"), max_length=10)
    kan_name = models.CharField(_("款の名称"), max_length=60)
    kou = models.CharField(_("項"), max_length=10)
    kou_name = models.CharField(_("項の名称"), max_length=60)
    moku = models.CharField(_("目"), max_length=10)
    moku_name = models.CharField(_("目の名称"), max_length=60)
    setsu = models.CharField(_("節"), max_length=10)
    setsu_name = models.CharField(
        _("節の名称"), max_length=60, help_text=_("例: 需用費、委託料、工事請負費")
    )
    saisetsu = models.CharField(_("細節"), max_length=10, blank=True)
    saisetsu_name = models.CharField(_("細節の名称"), max_length=60, blank=True)
    is_active = models.BooleanField(
        _("有効"), default=True, help_text=_("無効にした予算科目は発注で選べません。")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        # Moved here from procurement without moving its table (a state-only
        # move): the previous release's processes still read this table
        # while the upgrade runs.
        db_table = "procurement_budgetcode"
        verbose_name = _("予算科目")
        verbose_name_plural = _("予算科目")
        ordering = ["fiscal_year", "account", *LEVELS]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "account", *LEVELS],
                name="budget_code_unique",
                violation_error_message=_(
                    "同じ会計年度・会計区分・科目コードの予算科目がすでにあります。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=2000) & Q(fiscal_year__lte=2100),
                name="budget_code_fiscal_year_range",
            ),
            models.CheckConstraint(
                condition=Q(saisetsu="") | ~Q(saisetsu_name=""),
                name="budget_code_saisetsu_named",
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year} {self.account} {self.code} {self.name}"

    @property
    def code(self) -> str:
        """款-項-目-節(-細節), as printed on a 支出命令."""
        return "-".join(c for c in (getattr(self, level) for level in LEVELS) if c)

    @property
    def name(self) -> str:
        """The name of the lowest level given (細節, else 節)."""
        return self.saisetsu_name or self.setsu_name
