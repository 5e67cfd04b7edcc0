"""Deliveries (納品) with their inspection (検収), and the link from an
invoice to the order it bills."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from municipality.models import Department, Municipality
from partners.models import Supplier
from procurement.models.orders import Order, OrderLine


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("検収待ち")
    ACCEPTED = "accepted", _("検収済")
    REJECTED = "rejected", _("不合格")


class Delivery(models.Model):
    """A supplier's delivery against an order (納品). Recording it is the
    notice of completion: the inspection deadline (検査期限, 支払遅延防止法
    5条: 10 days, 14 for works) runs from ``delivered_on``. Staff accept it
    (with corrected quantities if need be) or reject it with a reason; an
    inspection after the deadline is counted as late (``late_days``: the
    days 支払遅延防止法9条 takes off the payment period)."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("発注"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    # The order's (which no longer changes once sent), kept here so that
    # a department's deliveries are read from indexes of their own.
    department = models.ForeignKey(
        Department,
        verbose_name=_("発注部署"),
        on_delete=models.PROTECT,
        related_name="deliveries",
        editable=False,
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    number = models.CharField(_("納品書番号"), max_length=40)
    delivered_on = models.DateField(_("納品日"))
    status = models.CharField(
        _("状態"),
        max_length=10,
        choices=DeliveryStatus,
        default=DeliveryStatus.PENDING,
        editable=False,
    )
    inspection_deadline = models.DateField(_("検査期限"), editable=False)
    notes = models.TextField(_("備考"), blank=True)
    inspected_on = models.DateField(_("検収日"), null=True, editable=False)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("検査員"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    corrected = models.BooleanField(
        _("数量を訂正して検収"), default=False, editable=False
    )
    rejection_reason = models.TextField(_("不合格の理由"), blank=True, editable=False)
    late_days = models.PositiveSmallIntegerField(
        _("検査の遅延日数"), default=0, editable=False
    )
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("請求書"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登録した人"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("納品")
        verbose_name_plural = _("納品")
        ordering = ["-delivered_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "number"],
                name="delivery_number_unique_per_supplier",
                violation_error_message=_(
                    "この納品書番号はすでに使われています。別の番号にしてください。"
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.PENDING)
                | Q(inspected_on__isnull=False, inspected_by__isnull=False),
                name="delivery_inspection_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.REJECTED) | ~Q(rejection_reason=""),
                name="delivery_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "inspection_deadline"]),
            # The inspections page's latest inspections and its count of
            # late ones, the city's and a department's, without reading
            # every delivery of the city.
            *[
                models.Index(
                    fields=[scope, "inspected_on", "id"],
                    condition=~Q(status=DeliveryStatus.PENDING),
                    name=f"delivery_{short}_inspected",
                )
                for scope, short in (("municipality", "city"), ("department", "dept"))
            ],
            models.Index(
                fields=["municipality", "department"],
                condition=Q(late_days__gt=0),
                name="delivery_late",
            ),
        ]

    def __str__(self):
        return f"{self.number}（{self.order.number}）"


class DeliveryLine(models.Model):
    """What one delivery brought of one order line; ``accepted_quantity``
    is what the inspection accepted (the delivered quantity unless
    corrected)."""

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("納品"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("発注の明細"),
        on_delete=models.PROTECT,
        related_name="delivery_lines",
    )
    quantity = models.DecimalField(_("納品数量"), max_digits=12, decimal_places=3)
    accepted_quantity = models.DecimalField(
        _("検収数量"), max_digits=12, decimal_places=3, null=True, editable=False
    )

    class Meta:
        verbose_name = _("納品の明細")
        verbose_name_plural = _("納品の明細")
        ordering = ["delivery", "order_line__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "order_line"], name="delivery_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & (Q(accepted_quantity__isnull=True) | Q(accepted_quantity__gte=0)),
                name="delivery_line_quantities_valid",
            ),
        ]

    def __str__(self):
        return f"{self.order_line} × {self.quantity}"


class InvoiceOrder(models.Model):
    """The order an invoice bills (the invoice's 注文番号). Lives here, not
    on the invoice: procurement sits above invoices (README, "Layout")."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.OneToOneField(
        "invoices.Invoice",
        verbose_name=_("請求書"),
        on_delete=models.CASCADE,
        related_name="order_link",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("発注"),
        on_delete=models.PROTECT,
        related_name="invoice_links",
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("請求書の発注")
        verbose_name_plural = _("請求書の発注")

    def __str__(self):
        return f"{self.invoice} → {self.order}"
