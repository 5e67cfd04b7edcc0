"""The audit trail's chain head and settings events."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from municipality.models.municipality import Municipality

# The audit trail's chain heads and settings events (written by
# municipality.audit; invoices.audit chains the invoices' events onto the
# same heads). Their tables keep the names they had when they were invoices
# models.


class ChainScope(models.TextChoices):
    """Which events a chain holds."""

    MUNICIPALITY = "municipality", _("自治体")
    PLATFORM = "platform", _("自治体のない履歴")
    LEGACY = "legacy", _("移行前の共通チェーン")


class AuditChainHead(models.Model):
    """The head of one hash chain: the hash of its newest event and its
    number of events. Writers lock their chain's row, so that its events
    are chained one after another even under concurrent requests.

    Each municipality has its own chain (its invoice events and its
    settings events), so one city's writers never wait for another's. The
    platform chain holds the events that belong to no municipality (a
    supplier's role changes). The legacy chain is the single chain every
    event was written to before per-municipality chains: sealed by the
    migration that introduced them, it holds exactly the events up to
    ``sealed_invoice_event_id`` and ``sealed_settings_event_id`` and gets
    no new ones (see ``municipality.audit``).
    """

    scope = models.CharField(
        _("範囲"), max_length=12, choices=ChainScope, default=ChainScope.MUNICIPALITY
    )
    municipality = models.OneToOneField(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)
    sealed_invoice_event_id = models.PositiveBigIntegerField(null=True, blank=True)
    sealed_settings_event_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "invoices_auditchainhead"
        verbose_name = _("履歴チェーンの先頭")
        verbose_name_plural = _("履歴チェーンの先頭")
        constraints = [
            models.UniqueConstraint(
                fields=["scope"],
                condition=~Q(scope="municipality"),
                name="audit_chain_one_platform_one_legacy",
            ),
            models.CheckConstraint(
                condition=Q(scope="municipality", municipality__isnull=False)
                | (~Q(scope="municipality") & Q(municipality__isnull=True)),
                name="audit_chain_municipality_iff_scope",
            ),
        ]

    def __str__(self):
        return self.hash


class SettingsEventKind(models.TextChoices):
    """What a settings event (設定・権限の変更履歴) is about."""

    TREASURY_SETTINGS = "treasury", _("会計の設定")
    MUNICIPALITY_SETTINGS = "municipality", _("支払期限・催促の設定")
    STAFF_ROLE = "staff_role", _("職員の役割")
    SUPPLIER_ROLE = "supplier_role", _("取引先の利用者の役割")
    STAFF_INVITATION = "staff_invitation", _("職員の招待")
    DEPARTMENT = "department", _("部署")
    BUDGET_CODE = "budget_code", _("予算科目")


class SettingsAction(models.TextChoices):
    CREATED = "created", _("登録・付与")
    CHANGED = "changed", _("変更")
    DELETED = "deleted", _("削除・取消")


class SettingsEvent(models.Model):
    """A change of a setting that weakens or strengthens a control, or of a
    role (設定・権限の変更履歴): treasury settings (four-eyes, accounts,
    fees), payment-deadline and reminder settings, staff and supplier roles.

    Chained with the invoices' events of its municipality (the platform
    chain when it has none; see ``AuditChainHead``, ``municipality.audit``
    and ``invoices.audit``), so ``verify_audit_chain`` detects an altered
    or removed row. ``changes``
    lists each changed field with its label and the values before and
    after, as shown to people when the change was made.
    City events carry their ``municipality``; supplier-role events their
    ``supplier``. Rows are never updated or deleted by the application.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    supplier = models.ForeignKey(
        "partners.Supplier",
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("種類"), max_length=16, choices=SettingsEventKind)
    action = models.CharField(_("操作"), max_length=10, choices=SettingsAction)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("役割を持つ人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "役割の変更のとき、その役割を持つ（持っていた）利用者。"
            "履歴のある利用者は削除できません（無効にしてください）。"
        ),
    )
    target_label = models.CharField(_("対象"), max_length=300)
    changes = models.JSONField(_("変更内容"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作した人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(
        _("操作した人（記録時）"), max_length=200, blank=True
    )
    prev_hash = models.CharField(_("直前のハッシュ"), max_length=64)
    hash = models.CharField(_("ハッシュ"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("日時"))

    objects = ScopedManager(municipality="municipality")

    class Meta:
        db_table = "invoices_settingsevent"
        verbose_name = _("設定・権限の変更履歴")
        verbose_name_plural = _("設定・権限の変更履歴")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False) | Q(supplier__isnull=False),
                name="settings_event_has_owner",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SettingsEventKind.values)
                & Q(action__in=SettingsAction.values),
                name="settings_event_kind_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["municipality", "-id"], name="settings_event_city_idx"
            ),
            models.Index(
                fields=["supplier", "-id"], name="settings_event_supplier_idx"
            ),
        ]

    def __str__(self):
        kind, action = self.get_kind_display(), self.get_action_display()
        return f"{kind} {action}: {self.target_label}"
