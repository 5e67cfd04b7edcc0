"""Orders (支出負担行為 / 発注) with their lines and history."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from invoices.models import TaxCategory
from municipality.models import BudgetCode, Department, Municipality
from partners.models import Connection, Supplier


def list_indexes() -> list[models.Index]:
    """The order list's (newest first, ``procurement.views.city_orders``):
    the city's, with or without the status filter, and a department's, so
    that any page is read in order from where the previous one ended."""
    return [
        models.Index(
            fields=["municipality", "order_date", "id"], name="order_city_list"
        ),
        models.Index(
            fields=["municipality", "status", "order_date", "id"],
            name="order_city_status_list",
        ),
        models.Index(
            fields=["department", "order_date", "id"], name="order_department_list"
        ),
    ]


class OrderKind(models.TextChoices):
    ONE_OFF = "one_off", _("単発の発注")
    UNIT_PRICE = "unit_price", _("単価契約")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("作成中")
    ORDERED = "ordered", _("請書待ち")
    QUESTION = "question", _("照会中")
    CONFIRMED = "confirmed", _("受注済")
    COMPLETED = "completed", _("完了")
    CANCELLED = "cancelled", _("取消")


class Order(models.Model):
    """A department's order to a connected supplier: the 支出負担行為
    (地方自治法232条の3), with its number in the 財務会計 system
    (支出負担行為番号 / 契約番号), its 予算科目 and 会計年度.

    A one-off order (単発) lists what is bought; a unit-price contract
    (単価契約) agrees unit prices for a period, quantities are as
    delivered, and ``ceiling_amount`` caps the total. ``amount`` is the
    committed amount (契約金額, tax included): the lines' total for a
    one-off order, the ceiling for a unit-price contract.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("発注部署"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    connection = models.ForeignKey(
        Connection,
        verbose_name=_("支払先"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    kind = models.CharField(
        _("発注の種類"), max_length=12, choices=OrderKind, default=OrderKind.ONE_OFF
    )
    status = models.CharField(
        _("状態"),
        max_length=10,
        choices=OrderStatus,
        default=OrderStatus.DRAFT,
        editable=False,
    )
    number = models.CharField(
        _("支出負担行為番号・契約番号"),
        max_length=40,
        help_text=_("財務会計システムの番号。自治体の中で重複できません。"),
    )
    order_date = models.DateField(_("負担行為日（発注日）"))
    fiscal_year = models.PositiveSmallIntegerField(_("会計年度"))
    budget_code = models.ForeignKey(
        BudgetCode,
        verbose_name=_("予算科目"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    subject = models.CharField(_("件名"), max_length=200)
    delivery_place = models.CharField(_("納入場所"), max_length=200)
    delivery_date = models.DateField(
        _("納期"), null=True, blank=True, help_text=_("単発の発注の納入期限。")
    )
    period_start = models.DateField(_("契約期間の開始日"), null=True, blank=True)
    period_end = models.DateField(_("契約期間の終了日"), null=True, blank=True)
    ceiling_amount = models.DecimalField(
        _("上限額（税込）"),
        max_digits=15,
        decimal_places=0,
        null=True,
        blank=True,
        help_text=_("単価契約の契約金額の上限。"),
    )
    is_works = models.BooleanField(
        _("工事"),
        default=False,
        help_text=_("工事の検査期限は14日、その他は10日です（支払遅延防止法5条）。"),
    )
    notes = models.TextField(_("備考"), blank=True)

    subtotal = models.DecimalField(
        _("税抜合計"), max_digits=15, decimal_places=0, default=0, editable=False
    )
    tax_total = models.DecimalField(
        _("消費税額等"), max_digits=15, decimal_places=0, default=0, editable=False
    )
    amount = models.DecimalField(
        _("契約金額（税込）"),
        max_digits=15,
        decimal_places=0,
        default=0,
        editable=False,
    )
    ordered_at = models.DateTimeField(_("発注日時"), null=True, editable=False)
    confirmed_at = models.DateTimeField(_("請書の日時"), null=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("請書を出した人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    imported = models.BooleanField(_("CSVから取り込み"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成した人"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("発注")
        verbose_name_plural = _("発注")
        ordering = ["-order_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"],
                name="order_number_unique",
                violation_error_message=_(
                    "この支出負担行為番号・契約番号はすでに使われています。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values)
                & Q(kind__in=OrderKind.values),
                name="order_status_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind=OrderKind.ONE_OFF)
                | (
                    Q(ceiling_amount__gt=0)
                    & Q(period_start__isnull=False)
                    & Q(period_end__gte=F("period_start"))
                ),
                name="order_unit_price_has_period_and_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="order_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "department", "status"]),
            models.Index(fields=["supplier", "status"]),
            *list_indexes(),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def is_unit_price(self) -> bool:
        return self.kind == OrderKind.UNIT_PRICE

    @property
    def inspection_days(self) -> int:
        """支払遅延防止法5条: 10 days, 14 for works."""
        return 14 if self.is_works else 10


class OrderLine(models.Model):
    """明細 of an order. For a unit-price contract ``quantity`` is the
    estimate (予定数量, may be empty) and ``amount`` follows from it."""

    order = models.ForeignKey(
        Order, verbose_name=_("発注"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("行番号"))
    description = models.CharField(_("品名・内容"), max_length=200)
    quantity = models.DecimalField(
        _("数量"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("単価（税抜）"), max_digits=15, decimal_places=3)
    tax_category = models.CharField(
        _("税区分"), max_length=2, choices=TaxCategory, default=TaxCategory.STANDARD
    )
    amount = models.DecimalField(
        _("金額（税抜）"), max_digits=15, decimal_places=0, default=0
    )

    class Meta:
        verbose_name = _("発注の明細")
        verbose_name_plural = _("発注の明細")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "position"], name="order_line_position_unique"
            ),
            models.CheckConstraint(
                condition=(Q(quantity__isnull=True) | Q(quantity__gt=0))
                & Q(unit_price__gte=0)
                & Q(tax_category__in=TaxCategory.values),
                name="order_line_values_valid",
            ),
        ]

    def __str__(self):
        return self.description


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("作成")
    IMPORTED = "imported", _("CSVから取り込み")
    ORDERED = "ordered", _("発注")
    QUESTION = "question", _("照会")
    ANSWER = "answer", _("回答")
    CONFIRMED = "confirmed", _("請書")
    COMPLETED = "completed", _("完了")
    CANCELLED = "cancelled", _("取消")
    REMINDED = "reminded", _("請書の催促")


class OrderEvent(models.Model):
    """The order's history, append-only: each state change, question and
    answer with who, when and the message."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.ForeignKey(
        Order, verbose_name=_("発注"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("種類"), max_length=10, choices=OrderEventKind)
    from_status = models.CharField(_("変更前"), max_length=10, blank=True)
    to_status = models.CharField(_("変更後"), max_length=10, blank=True)
    message = models.TextField(_("内容"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作した人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("発注の履歴")
        verbose_name_plural = _("発注の履歴")
        ordering = ["order", "pk"]

    def __str__(self):
        return f"{self.order} {self.get_kind_display()}"
