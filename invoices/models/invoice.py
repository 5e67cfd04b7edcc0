"""The invoice, the rules that freeze it once issued, and its list indexes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_lazy
from django_scopes import ScopedManager

from invoices.models.choices import (
    InvoiceStatus,
    ReturnReason,
    ReturnSeverity,
    WithholdingKind,
)
from municipality.models import Department, Municipality
from partners.models import Connection, PriceBasis, Supplier


class FrozenInvoiceError(Exception):
    """An issued invoice's content cannot change and it cannot be deleted."""

    def __init__(self):
        super().__init__(
            gettext(
                "発行済みの請求書は変更・削除できません。誤りがある場合は、"
                "差戻しを受けてから訂正した請求書を発行してください。"
            )
        )


# What the workflow may still change once an invoice is issued.
WORKFLOW_FIELDS = frozenset(
    {
        "status",
        "updated_at",
        "opened_at",
        "opened_by",
        "returned_at",
        "return_reason",
        "return_explanation",
        "return_severity",
        "approved_at",
        "inspection_date",
        "withdrawn_at",
        "payment_deadline",
        # Set by the DRAFT → ISSUED transition itself.
        "receipt_number",
        "received_at",
        "snapshot",
        "content_hash",
    }
)


def list_indexes() -> list[models.Index]:
    """One index per list order (``invoices.filters``, ``invoices.search``,
    the supplier's list, payables), so that a page of any of them is read
    in order from where the previous one ended (``invoices.paging``).
    Staff lists never show drafts: their indexes leave them out."""
    issued = ~Q(status=InvoiceStatus.DRAFT)
    indexes = []
    for scope, short in (("municipality", "city"), ("department", "dept")):
        for key, name in (
            ("received_at", "received"),
            ("payment_deadline", "deadline"),
            ("total", "amount"),
        ):
            indexes.append(
                models.Index(
                    fields=[scope, "unopened", key, "id"],
                    condition=issued,
                    name=f"invoice_{short}_inbox_{name}",
                )
            )
        # The supplier (kana) order: read on ids alone, then joined.
        indexes.append(
            models.Index(
                fields=[scope, "unopened", "supplier", "id"],
                condition=issued,
                name=f"invoice_{short}_inbox_supplier",
            )
        )
        # The 取引日 order: the page's ids read from the index alone (the
        # period's end, the supplier and the city are checked there too),
        # so that walking it from a range's end is what the planner
        # prices cheapest, not ANDing a bitmap of the city's invoices.
        indexes.append(
            models.Index(
                fields=[scope, "transaction_date", "id"],
                include=[
                    "transaction_end_date",
                    "supplier",
                    *(["municipality"] if scope == "department" else []),
                ],
                condition=issued,
                name=f"invoice_{short}_search_period",
            )
        )
    return [
        *indexes,
        # A department's list by 取引先 when many suppliers match (「株式会社」):
        # counted in this index alone instead of ANDing the supplier index's
        # bitmap of every city's invoices with the department's (64 ms
        # against 2 ms at 1,000,000 invoices).
        models.Index(
            fields=["department", "supplier"],
            include=["municipality"],
            condition=issued,
            name="invoice_dept_supplier",
        ),
        # The staff's search by 取引先 (a few suppliers' ids) in one city:
        # with both in one index the planner does not AND the supplier
        # index's bitmap with one of all the city's invoices.
        models.Index(
            fields=["supplier", "municipality", "transaction_date", "id"],
            condition=issued,
            name="invoice_supplier_city",
        ),
        models.Index(
            fields=["supplier", "created_at", "id"], name="invoice_supplier_list"
        ),
        models.Index(
            fields=["supplier", "transaction_date", "id"],
            name="invoice_supplier_search_date",
        ),
        # The API's list (newest id first, ``?before=`` an id): a page is the
        # next rows of this index, not a sort of the supplier's invoices.
        models.Index(fields=["supplier", "id"], name="invoice_supplier_api"),
        models.Index(
            fields=["municipality", "payment_deadline", "id"],
            condition=Q(status=InvoiceStatus.APPROVED),
            name="invoice_payables",
        ),
        # The 支払調書 statement: the few paid invoices with withholding are
        # read first, not every paid invoice of the year's batches.
        models.Index(
            fields=["municipality"],
            condition=Q(status=InvoiceStatus.PAID, withholding_base__gt=0),
            name="invoice_withholding_paid",
        ),
    ]


class Invoice(models.Model):
    """A supplier's invoice to one department of one municipality.

    Frozen once issued: ``save()`` refuses any change but the workflow's
    fields and ``delete()`` refuses to delete, whoever calls them (the admin
    included).
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=gettext_lazy("自治体"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=gettext_lazy("宛先部署"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=gettext_lazy("取引先"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    connection = models.ForeignKey(
        Connection,
        verbose_name=gettext_lazy("支払先"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    status = models.CharField(
        gettext_lazy("状態"),
        max_length=10,
        choices=InvoiceStatus,
        default=InvoiceStatus.DRAFT,
        editable=False,
    )
    # 未開封: the inbox lists these first. Kept by the database itself, so
    # no transition can leave it wrong, and indexed with each sort key.
    unopened = models.GeneratedField(
        expression=Q(status=InvoiceStatus.ISSUED),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=gettext_lazy("未開封"),
    )
    number = models.CharField(gettext_lazy("請求書番号"), max_length=40)
    receipt_number = models.CharField(
        gettext_lazy("受付番号"), max_length=20, blank=True, editable=False
    )
    issue_date = models.DateField(gettext_lazy("請求日"))
    transaction_date = models.DateField(
        gettext_lazy("取引日"), help_text=gettext_lazy("期間の場合は開始日。")
    )
    transaction_end_date = models.DateField(
        gettext_lazy("取引期間の終了日"), null=True, blank=True
    )
    due_date = models.DateField(gettext_lazy("支払期日"), null=True, blank=True)
    subject = models.CharField(gettext_lazy("件名"), max_length=200, blank=True)
    # The buyer's order (PO) number: for a city, its 支出負担行為番号 or
    # 契約番号. An order of that number links the invoice at issue
    # (procurement); JP PINT OrderReference (ibt-013).
    order_number = models.CharField(
        gettext_lazy("注文番号（支出負担行為番号）"),
        max_length=40,
        blank=True,
        default="",
        # Old code inserting invoices during the upgrade leaves it empty.
        db_default="",
        help_text=gettext_lazy("市の発注書・契約書に書かれた番号。任意です。"),
    )
    notes = models.TextField(gettext_lazy("備考"), blank=True)
    price_basis = models.CharField(
        gettext_lazy("単価の表示"),
        max_length=10,
        choices=PriceBasis,
        default=PriceBasis.EXCLUSIVE,
    )
    withholding_kind = models.CharField(
        gettext_lazy("源泉徴収の区分"),
        max_length=10,
        choices=WithholdingKind,
        default=WithholdingKind.GENERAL,
        help_text=gettext_lazy("源泉徴収の対象の明細があるときだけ使います。"),
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=gettext_lazy("訂正元の請求書"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )

    # Totals, computed by invoices.tax and stored (whole yen).
    subtotal = models.DecimalField(
        gettext_lazy("税抜（税込）合計"),
        max_digits=15,
        decimal_places=0,
        default=0,
        editable=False,
    )
    tax_total = models.DecimalField(
        gettext_lazy("消費税額等"),
        max_digits=15,
        decimal_places=0,
        default=0,
        editable=False,
    )
    total = models.DecimalField(
        gettext_lazy("請求金額（税込）"),
        max_digits=15,
        decimal_places=0,
        default=0,
        editable=False,
    )
    # 源泉徴収 (invoices.withholding): the tax-exclusive sum of the lines
    # subject to it, and the tax the city withholds from the payment.
    withholding_base = models.DecimalField(
        gettext_lazy("源泉徴収の対象額（税抜）"),
        max_digits=15,
        decimal_places=0,
        default=0,
        editable=False,
    )
    withholding_tax = models.DecimalField(
        gettext_lazy("源泉徴収税額"),
        max_digits=15,
        decimal_places=0,
        default=0,
        editable=False,
    )

    # Frozen at issue: everything printed on the invoice.
    snapshot = models.JSONField(
        gettext_lazy("発行時の記載内容"), default=dict, editable=False
    )
    content_hash = models.CharField(
        gettext_lazy("内容のハッシュ"), max_length=64, blank=True, editable=False
    )

    # The city's side of the record.
    received_at = models.DateTimeField(
        gettext_lazy("受付日時"), null=True, editable=False
    )
    opened_at = models.DateTimeField(
        gettext_lazy("開封日時"), null=True, editable=False
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("開封した人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    returned_at = models.DateTimeField(
        gettext_lazy("差戻し日時"), null=True, editable=False
    )
    return_reason = models.CharField(
        gettext_lazy("差戻しの理由"),
        max_length=20,
        choices=ReturnReason,
        blank=True,
        editable=False,
    )
    return_explanation = models.TextField(
        gettext_lazy("差戻しの説明"), blank=True, editable=False
    )
    return_severity = models.CharField(
        gettext_lazy("誤りの程度"),
        max_length=10,
        choices=ReturnSeverity,
        blank=True,
        editable=False,
    )
    approved_at = models.DateTimeField(
        gettext_lazy("承認日時"), null=True, editable=False
    )
    inspection_date = models.DateField(
        gettext_lazy("検収日"), null=True, editable=False
    )
    withdrawn_at = models.DateTimeField(
        gettext_lazy("取下げ日時"), null=True, editable=False
    )
    payment_deadline = models.DateField(
        gettext_lazy("支払期限（支払遅延防止法）"), null=True, editable=False
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("作成した人"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(gettext_lazy("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = gettext_lazy("請求書")
        verbose_name_plural = gettext_lazy("請求書")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "number"],
                name="invoice_number_unique_per_supplier",
                violation_error_message=(
                    gettext_lazy(
                        "この請求書番号はすでに使われています。別の番号にしてください。"
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["municipality", "receipt_number"],
                condition=~Q(receipt_number=""),
                name="invoice_receipt_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values),
                name="invoice_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(tax_total__gte=0) & Q(total__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("tax_total"))
                | Q(price_basis=PriceBasis.INCLUSIVE, total=F("subtotal")),
                name="invoice_total_consistent",
            ),
            models.CheckConstraint(
                condition=Q(withholding_base__gte=0)
                & Q(withholding_tax__gte=0)
                & Q(withholding_tax__lte=F("total")),
                name="invoice_withholding_consistent",
            ),
            models.CheckConstraint(
                condition=Q(withholding_kind__in=WithholdingKind.values),
                name="invoice_withholding_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(transaction_end_date__isnull=True)
                | Q(transaction_end_date__gte=F("transaction_date")),
                name="invoice_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT) | ~Q(content_hash=""),
                name="invoice_issued_has_content_hash",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "department", "status"]),
            models.Index(fields=["supplier", "status"]),
            models.Index(fields=["municipality", "total"]),
            *list_indexes(),
        ]

    def __str__(self):
        return f"{self.number}（{self.supplier}）"

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_status", InvoiceStatus.DRAFT)
        update_fields = kwargs.get("update_fields")
        if stored != InvoiceStatus.DRAFT and (
            update_fields is None or not set(update_fields) <= WORKFLOW_FIELDS
        ):
            raise FrozenInvoiceError
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args, **kwargs):
        if getattr(self, "_stored_status", self.status) != InvoiceStatus.DRAFT:
            raise FrozenInvoiceError
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def net_total(self) -> Decimal:
        """差引請求額: what the city transfers, the total less the
        withholding income tax it pays to the tax office instead."""
        return self.total - self.withholding_tax


class DraftOnlyMixin:
    """Lines, tax summaries and attachments change only with a draft."""

    def save(self, *args, **kwargs):
        if self.invoice.status != InvoiceStatus.DRAFT:
            raise FrozenInvoiceError
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.invoice.status != InvoiceStatus.DRAFT:
            raise FrozenInvoiceError
        return super().delete(*args, **kwargs)
