"""A municipality's departments."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from municipality.models.municipality import Municipality

CYCLE_MESSAGE = _("上位部署をたどると自分自身に戻ります。別の部署を選んでください。")


class Department(models.Model):
    """A unit of a municipality that receives invoices (課, or a sub-unit such
    as a school or a centre under its 課). With a supplier it forms the
    支払先マスタ entry (``partners.Connection``)."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    code = models.CharField(_("部署コード"), max_length=20)
    name = models.CharField(_("部署名"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位部署"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(
        _("有効"), default=True, help_text=_("無効にした部署には請求書を送れません。")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("部署")
        verbose_name_plural = _("部署")
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
                {"parent": _("上位部署には同じ自治体の部署を選んでください。")}
            )
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": CYCLE_MESSAGE})
            ancestor = ancestor.parent
