"""The tenant: a municipality."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from municipality.fields import IdentifierField
from municipality.validators import (
    validate_corporate_number,
    validate_local_government_code,
)


class Municipality(models.Model):
    """A local government (地方公共団体) that receives invoices: the tenant.

    Every row of city data carries its municipality, and every query of it
    runs inside ``scope(municipality=…)`` (see ``config.tenancy``).
    """

    name = models.CharField(_("名称"), max_length=100)
    name_kana = models.CharField(_("名称（カナ）"), max_length=200)
    local_government_code = IdentifierField(
        _("全国地方公共団体コード"),
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
        help_text=_("6桁（検査数字を含む）。例: 鹿屋市 462039"),
    )
    corporate_number = IdentifierField(
        _("法人番号"),
        max_length=13,
        unique=True,
        validators=[validate_corporate_number],
    )
    slug = models.SlugField(
        _("URL名"),
        unique=True,
        help_text=_("画面のURLに使う半角英小文字の名前（例: kanoya）"),
    )
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("所在地"), max_length=200)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    invitation_valid_days = models.PositiveSmallIntegerField(
        _("招待の有効日数"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("招待メールのリンクが使える日数。"),
    )
    payment_days = models.PositiveSmallIntegerField(
        _("支払期限の日数"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "適法な請求書を受け付けた日から支払期限までの日数"
            "（支払遅延防止法6条: 30日以内、工事は40日以内）。"
        ),
    )
    reminder_unopened_days = models.PositiveSmallIntegerField(
        _("未開封の催促までの営業日数"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "この営業日数を過ぎても開封されない請求書を、部署担当者に毎朝まとめて知らせます。"
        ),
    )
    reminder_escalation_days = models.PositiveSmallIntegerField(
        _("自治体管理者へ知らせるまでの追加の営業日数"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    reminder_deadline_days = models.PositiveSmallIntegerField(
        _("支払期限が近いと会計に知らせる日数"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")
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
