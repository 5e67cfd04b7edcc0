from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from municipality.fields import IdentifierField
from municipality.models import Department, Municipality
from municipality.validators import (
    validate_corporate_number,
    validate_registration_number,
)


class TaxRounding(models.TextChoices):
    """消費税の端数処理: the issuer's fixed choice, applied once per tax rate
    per invoice (消費税法施行令70条の10, 基通1-8-15)."""

    FLOOR = "floor", "切り捨て"
    HALF_UP = "half_up", "四捨五入"
    CEILING = "ceiling", "切り上げ"


class Supplier(models.Model):
    """A business that sends invoices (取引先・請求者).

    Platform-wide: one supplier account works with any number of departments
    in any number of municipalities (one platform ID). The
    ``registration_number`` (適格請求書発行事業者登録番号) is what makes its
    invoices qualified invoices; a supplier that is not registered leaves it
    empty.
    """

    legal_name = models.CharField("名称（法人名・屋号）", max_length=200)
    name_kana = models.CharField("名称（カナ）", max_length=200)
    registration_number = IdentifierField(
        "登録番号",
        max_length=14,
        blank=True,
        validators=[validate_registration_number],
        help_text="適格請求書発行事業者登録番号（T＋13桁）。未登録の場合は空欄。",
    )
    corporate_number = IdentifierField(
        "法人番号",
        max_length=13,
        blank=True,
        validators=[validate_corporate_number],
    )
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("所在地", max_length=200)
    phone = models.CharField("電話番号", max_length=20, blank=True)
    contact_name = models.CharField("担当者名", max_length=100, blank=True)
    contact_email = models.EmailField("連絡先メールアドレス", blank=True)
    tax_rounding = models.CharField(
        "消費税の端数処理",
        max_length=10,
        choices=TaxRounding,
        default=TaxRounding.FLOOR,
        help_text="請求書ごと・税率ごとに1回だけ適用します。",
    )
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = "取引先"
        verbose_name_plural = "取引先"
        ordering = ["name_kana", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number"],
                condition=~Q(registration_number=""),
                name="supplier_registration_number_unique",
                violation_error_message="この登録番号の取引先はすでに登録されています。",
            ),
            models.CheckConstraint(
                condition=Q(registration_number="")
                | Q(registration_number__regex=r"^T[1-9][0-9]{12}$"),
                name="supplier_registration_number_format",
            ),
            models.CheckConstraint(
                condition=Q(tax_rounding__in=TaxRounding.values),
                name="supplier_tax_rounding_valid",
            ),
        ]

    def __str__(self):
        return self.legal_name


class SupplierRole(models.TextChoices):
    OWNER = "owner", "管理者"
    CLERK = "clerk", "担当者"


class SupplierMembership(models.Model):
    """A user's place in a supplier (取引先の利用者). A user belongs to at most
    one supplier; owners manage its profile, bank accounts and members."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="利用者",
        on_delete=models.CASCADE,
        related_name="supplier_membership",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name="取引先",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        "役割", max_length=10, choices=SupplierRole, default=SupplierRole.CLERK
    )
    created_at = models.DateTimeField("作成日時", auto_now_add=True)

    class Meta:
        verbose_name = "取引先の利用者"
        verbose_name_plural = "取引先の利用者"
        ordering = ["supplier", "user"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=SupplierRole.values),
                name="supplier_membership_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} / {self.supplier} / {self.get_role_display()}"


class Connection(models.Model):
    """A supplier registered with one department (支払先マスタ): the supplier
    may send that department invoices. ``payee_code`` is the city's own code
    for the supplier in its 財務会計 system.

    ``municipality`` repeats ``department.municipality`` so that the row is
    scoped like all city data.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name="自治体",
        on_delete=models.PROTECT,
        related_name="connections",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name="取引先",
        on_delete=models.PROTECT,
        related_name="connections",
    )
    department = models.ForeignKey(
        Department,
        verbose_name="部署",
        on_delete=models.PROTECT,
        related_name="connections",
    )
    payee_code = models.CharField(
        "支払先コード",
        max_length=20,
        blank=True,
        help_text="自治体の財務会計システムでの債権者（支払先）コード。",
    )
    is_active = models.BooleanField("有効", default=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = "支払先（取引先×部署）"
        verbose_name_plural = "支払先（取引先×部署）"
        ordering = ["municipality", "department__code", "supplier__name_kana"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "department"],
                name="connection_unique_pair",
                violation_error_message="この取引先はすでにこの部署に登録されています。",
            ),
        ]

    def __str__(self):
        return f"{self.supplier} → {self.department}"

    def clean(self):
        super().clean()
        if (
            self.department_id
            and self.municipality_id != self.department.municipality_id
        ):
            raise ValidationError(
                {"department": "部署は支払先の自治体に属するものを選んでください。"}
            )
