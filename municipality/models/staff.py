"""City staff: their roles and invitations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.invitations import InvitationBase, InvitationStatus
from municipality.models.departments import Department
from municipality.models.municipality import Municipality


class StaffRole(models.TextChoices):
    """What a city staff member does in the portal."""

    DEPARTMENT = "department", _("部署担当者")
    TREASURY = "treasury", _("会計管理者・出納室")
    CITY_ADMIN = "city_admin", _("自治体管理者")


class StaffMembership(models.Model):
    """A user's role in one municipality (職員の役割).

    Department staff handle the invoices of their ``departments`` only;
    treasury (会計管理者・出納室) and city administrators see the whole
    municipality. One user may hold several roles, in several municipalities.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="staff_memberships",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="staff_memberships",
    )
    role = models.CharField(_("役割"), max_length=20, choices=StaffRole)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("担当部署"),
        blank=True,
        related_name="staff_memberships",
        help_text=_("部署担当者が請求書を受け取る部署。"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("職員の役割")
        verbose_name_plural = _("職員の役割")
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


class StaffInvitation(InvitationBase):
    """A city administrator's invitation of a staff member (職員の招待):
    accepting it grants ``role`` (and, for department staff, the
    ``departments``) in ``municipality``."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.CASCADE,
        related_name="staff_invitations",
    )
    role = models.CharField(_("役割"), max_length=20, choices=StaffRole)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("担当部署"),
        blank=True,
        related_name="+",
    )

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("職員の招待")
        verbose_name_plural = _("職員の招待")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values)
                & Q(role__in=StaffRole.values),
                name="staff_invitation_valid",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.municipality}"
