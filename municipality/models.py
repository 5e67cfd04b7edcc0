from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_scopes import ScopedManager

from municipality.fields import IdentifierField
from municipality.validators import (
    validate_corporate_number,
    validate_local_government_code,
)


class Municipality(models.Model):
    """A local government (地方公共団体) that receives invoices: the tenant.

    Every row of city data carries its municipality, and every query of it
    runs inside ``scope(municipality=…)`` (see ``municipality.middleware``).
    """

    name = models.CharField("名称", max_length=100)
    name_kana = models.CharField("名称（カナ）", max_length=200)
    local_government_code = IdentifierField(
        "全国地方公共団体コード",
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
        help_text="6桁（検査数字を含む）。例: 鹿屋市 462039",
    )
    corporate_number = IdentifierField(
        "法人番号",
        max_length=13,
        unique=True,
        validators=[validate_corporate_number],
    )
    slug = models.SlugField(
        "URL名",
        unique=True,
        help_text="画面のURLに使う半角英小文字の名前（例: kanoya）",
    )
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("所在地", max_length=200)
    phone = models.CharField("電話番号", max_length=20, blank=True)
    is_active = models.BooleanField("有効", default=True)
    invitation_valid_days = models.PositiveSmallIntegerField(
        "招待の有効日数",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="招待メールのリンクが使える日数。",
    )
    payment_days = models.PositiveSmallIntegerField(
        "支払期限の日数",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="適法な請求書を受け付けた日から支払期限までの日数"
        "（支払遅延防止法6条: 30日以内、工事は40日以内）。",
    )
    reminder_unopened_days = models.PositiveSmallIntegerField(
        "未開封の催促までの営業日数",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="この営業日数を過ぎても開封されない請求書を、部署担当者に毎朝まとめて知らせます。",
    )
    reminder_escalation_days = models.PositiveSmallIntegerField(
        "自治体管理者へ知らせるまでの追加の営業日数",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    reminder_deadline_days = models.PositiveSmallIntegerField(
        "支払期限が近いと会計に知らせる日数",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    class Meta:
        verbose_name = "自治体"
        verbose_name_plural = "自治体"
        ordering = ["local_government_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(local_government_code__regex=r"^[0-9]{6}$"),
                name="municipality_lg_code_format",
            ),
            models.CheckConstraint(
                condition=Q(corporate_number__regex=r"^[1-9][0-9]{12}$"),
                name="municipality_corporate_number_format",
            ),
        ]

    def __str__(self):
        return self.name


CYCLE_MESSAGE = "上位部署をたどると自分自身に戻ります。別の部署を選んでください。"


class Department(models.Model):
    """A unit of a municipality that receives invoices (課, or a sub-unit such
    as a school or a centre under its 課). With a supplier it forms the
    支払先マスタ entry (``partners.Connection``)."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name="自治体",
        on_delete=models.PROTECT,
        related_name="departments",
    )
    code = models.CharField("部署コード", max_length=20)
    name = models.CharField("部署名", max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name="上位部署",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(
        "有効", default=True, help_text="無効にした部署には請求書を送れません。"
    )
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = "部署"
        verbose_name_plural = "部署"
        ordering = ["municipality", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="department_code_unique"
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="department_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.parent_id is None:
            return
        if self.parent.municipality_id != self.municipality_id:
            raise ValidationError(
                {"parent": "上位部署には同じ自治体の部署を選んでください。"}
            )
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": CYCLE_MESSAGE})
            ancestor = ancestor.parent


class StaffRole(models.TextChoices):
    """What a city staff member does in the portal."""

    DEPARTMENT = "department", "部署担当者"
    TREASURY = "treasury", "会計管理者・出納室"
    CITY_ADMIN = "city_admin", "自治体管理者"


class StaffMembership(models.Model):
    """A user's role in one municipality (職員の役割).

    Department staff handle the invoices of their ``departments`` only;
    treasury (会計管理者・出納室) and city administrators see the whole
    municipality. One user may hold several roles, in several municipalities.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="利用者",
        on_delete=models.CASCADE,
        related_name="staff_memberships",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name="自治体",
        on_delete=models.PROTECT,
        related_name="staff_memberships",
    )
    role = models.CharField("役割", max_length=20, choices=StaffRole)
    departments = models.ManyToManyField(
        Department,
        verbose_name="担当部署",
        blank=True,
        related_name="staff_memberships",
        help_text="部署担当者が請求書を受け取る部署。",
    )
    created_at = models.DateTimeField("作成日時", auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = "職員の役割"
        verbose_name_plural = "職員の役割"
        ordering = ["municipality", "user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality", "role"],
                name="staff_membership_unique_role",
            ),
            models.CheckConstraint(
                condition=Q(role__in=StaffRole.values),
                name="staff_membership_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} / {self.municipality} / {self.get_role_display()}"
