import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from django_scopes import ScopedManager

from accounts.invitations import InvitationBase, InvitationStatus
from municipality.fields import IdentifierField
from municipality.models import Department, Municipality
from municipality.validators import (
    validate_corporate_number,
    validate_registration_number,
)


class TaxRounding(models.TextChoices):
    """消費税の端数処理: the issuer's fixed choice, applied once per tax rate
    per invoice (消費税法施行令70条の10, 基通1-8-15)."""

    FLOOR = "floor", _("切り捨て")
    HALF_UP = "half_up", _("四捨五入")
    CEILING = "ceiling", _("切り上げ")


class PriceBasis(models.TextChoices):
    """Whether line prices are stated without or with consumption tax
    (税抜・税込); one basis per invoice (jp-invoice-law.md §1.3)."""

    EXCLUSIVE = "exclusive", _("税抜")
    INCLUSIVE = "inclusive", _("税込")


class LegalForm(models.TextChoices):
    """Whether the supplier is a corporation (法人) or a sole proprietor
    (個人事業主). Only payments to an individual for the fees of
    所得税法204条 are subject to withholding income tax (源泉徴収), so only
    an individual's invoice may have lines subject to it
    (jp-invoice-law.md §1.6)."""

    CORPORATION = "corporation", _("法人")
    INDIVIDUAL = "individual", _("個人事業主")


def seal_upload_to(supplier, filename):
    # A random name: the file is served only through a permission-checked
    # view, but its name should not be guessable either.
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"seals/{supplier.pk}/{secrets.token_hex(16)}.{extension}"


class Supplier(models.Model):
    """A business that sends invoices (取引先・請求者).

    Platform-wide: one supplier account works with any number of departments
    in any number of municipalities (one platform ID). The
    ``registration_number`` (適格請求書発行事業者登録番号) is what makes its
    invoices qualified invoices; a supplier that is not registered leaves it
    empty.
    """

    legal_name = models.CharField(_("名称（法人名・屋号）"), max_length=200)
    name_kana = models.CharField(_("名称（カナ）"), max_length=200)
    registration_number = IdentifierField(
        _("登録番号"),
        max_length=14,
        blank=True,
        validators=[validate_registration_number],
        help_text=_("適格請求書発行事業者登録番号（T＋13桁）。未登録の場合は空欄。"),
    )
    corporate_number = IdentifierField(
        _("法人番号"),
        max_length=13,
        blank=True,
        validators=[validate_corporate_number],
    )
    legal_form = models.CharField(
        _("事業者の区分"),
        max_length=12,
        choices=LegalForm,
        default=LegalForm.CORPORATION,
        help_text=_(
            "個人事業主の場合、報酬・料金（講演料・原稿料・士業の報酬など）の明細に"
            "源泉徴収を設定できます。"
        ),
    )
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("所在地"), max_length=200)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    contact_name = models.CharField(_("担当者名"), max_length=100, blank=True)
    contact_email = models.EmailField(_("連絡先メールアドレス"), blank=True)
    tax_rounding = models.CharField(
        _("消費税の端数処理"),
        max_length=10,
        choices=TaxRounding,
        default=TaxRounding.FLOOR,
        help_text=_("請求書ごと・税率ごとに1回だけ適用します。"),
    )
    default_price_basis = models.CharField(
        _("単価の既定の表示"),
        max_length=10,
        choices=PriceBasis,
        default=PriceBasis.EXCLUSIVE,
    )
    seal_image = models.FileField(
        _("印影"),
        upload_to=seal_upload_to,
        blank=True,
        help_text=_("PNG、JPEG または GIF。請求書のPDFに表示します。"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("取引先")
        verbose_name_plural = _("取引先")
        ordering = ["name_kana", "pk"]
        indexes = [
            # The inbox's 取引先（五十音順）: suppliers are walked in this
            # order and each one's invoices read from the inbox's supplier
            # index, so a page stops after its rows (invoices.paging).
            models.Index(fields=["name_kana", "id"], name="supplier_kana"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number"],
                condition=~Q(registration_number=""),
                name="supplier_registration_number_unique",
                violation_error_message=(
                    _(
                        "この登録番号の取引先はすでに登録されています。"
                        "同じ事業者のアカウントがある場合は、その管理者に"
                        "利用者として招待してもらってください。"
                    )
                ),
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
            models.CheckConstraint(
                condition=Q(default_price_basis__in=PriceBasis.values),
                name="supplier_price_basis_valid",
            ),
            models.CheckConstraint(
                condition=Q(legal_form__in=LegalForm.values),
                name="supplier_legal_form_valid",
            ),
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        super().clean()
        if self.legal_form == LegalForm.INDIVIDUAL and self.corporate_number:
            raise ValidationError(
                {
                    "corporate_number": _(
                        "個人事業主には法人番号がありません。法人番号を空欄にするか、"
                        "事業者の区分を「法人」にしてください。"
                    )
                }
            )

    @property
    def is_individual(self) -> bool:
        return self.legal_form == LegalForm.INDIVIDUAL


class SupplierRole(models.TextChoices):
    OWNER = "owner", pgettext_lazy("supplier role", "管理者")
    CLERK = "clerk", pgettext_lazy("supplier role", "担当者")


class SupplierMembership(models.Model):
    """A user's place in a supplier (取引先の利用者). A user belongs to at most
    one supplier; owners manage its profile, bank accounts and members."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利用者"),
        on_delete=models.CASCADE,
        related_name="supplier_membership",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        _("役割"), max_length=10, choices=SupplierRole, default=SupplierRole.CLERK
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("取引先の利用者")
        verbose_name_plural = _("取引先の利用者")
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
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部署"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    payee_code = models.CharField(
        _("支払先コード"),
        max_length=20,
        blank=True,
        help_text=_("自治体の財務会計システムでの債権者（支払先）コード。"),
    )
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("支払先（取引先×部署）")
        verbose_name_plural = _("支払先（取引先×部署）")
        ordering = ["municipality", "department__code", "supplier__name_kana"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "department"],
                name="connection_unique_pair",
                violation_error_message=_(
                    "この取引先はすでにこの部署に登録されています。"
                ),
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
                {"department": _("部署は支払先の自治体に属するものを選んでください。")}
            )


class AccountType(models.TextChoices):
    """預金種目 as coded in Zengin transfer files."""

    ORDINARY = "1", _("普通")
    CURRENT = "2", _("当座")
    SAVINGS = "4", _("貯蓄")


class BankAccount(models.Model):
    """A supplier's account for payments (振込先口座).

    Bank and branch codes are checked against the Zengin master
    (``zengin-code``); ``holder_kana`` is the 口座名義 normalised to the
    characters a Zengin transfer file accepts. Every change is recorded in
    ``BankAccountChange`` and emailed to the supplier's owners, because a
    changed account is the classic way to divert a payment.
    """

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="bank_accounts",
    )
    bank_code = models.CharField(_("金融機関コード"), max_length=4)
    bank_name = models.CharField(_("金融機関名"), max_length=60)
    branch_code = models.CharField(_("支店コード"), max_length=3)
    branch_name = models.CharField(_("支店名"), max_length=60)
    account_type = models.CharField(
        _("預金種目"), max_length=1, choices=AccountType, default=AccountType.ORDINARY
    )
    account_number = models.CharField(_("口座番号"), max_length=7)
    holder_kana = models.CharField(
        _("口座名義（カナ）"),
        max_length=30,
        help_text=_("振込データに使う半角カナの口座名義。"),
    )
    holder_input = models.CharField(
        _("口座名義（入力どおり）"), max_length=100, blank=True
    )
    is_default = models.BooleanField(_("既定の振込先"), default=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("振込先口座")
        verbose_name_plural = _("振込先口座")
        ordering = ["supplier", "-is_default", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"],
                condition=Q(is_default=True),
                name="bank_account_one_default",
            ),
            models.CheckConstraint(
                condition=Q(bank_code__regex=r"^[0-9]{4}$")
                & Q(branch_code__regex=r"^[0-9]{3}$")
                & Q(account_number__regex=r"^[0-9]{7}$"),
                name="bank_account_codes_format",
            ),
            models.CheckConstraint(
                condition=Q(account_type__in=AccountType.values),
                name="bank_account_type_valid",
            ),
        ]

    def __str__(self):
        return (
            f"{self.bank_name} {self.branch_name} "
            f"{self.get_account_type_display()} {self.account_number}"
        )


class BankAccountChange(models.Model):
    """Append-only record of a change to a supplier's bank accounts
    (振込先の変更履歴): who, when, what before and after."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("bank account change", "追加")
        UPDATED = "updated", pgettext_lazy("bank account change", "変更")
        DELETED = "deleted", pgettext_lazy("bank account change", "削除")
        DEFAULT = "default", pgettext_lazy("bank account change", "既定の振込先を変更")

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="bank_account_changes",
    )
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("振込先口座"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作した人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    before = models.JSONField(_("変更前"), default=dict, blank=True)
    after = models.JSONField(_("変更後"), default=dict, blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("振込先の変更履歴")
        verbose_name_plural = _("振込先の変更履歴")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.supplier} {self.get_action_display()}"


class InvitationRequestStatus(models.TextChoices):
    PENDING = "pending", _("審査待ち")
    APPROVED = "approved", _("承認済み")
    DECLINED = "declined", pgettext_lazy("invitation request status", "見送り")


class InvitationRequest(models.Model):
    """A supplier's request to be invited (招待の申請), sent through the
    municipality's public form; a city administrator approves it (one
    invitation per requested department) or declines it with a reason."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="invitation_requests",
    )
    company_name = models.CharField(_("事業者名"), max_length=200)
    company_name_kana = models.CharField(_("事業者名（カナ）"), max_length=200)
    registration_number = IdentifierField(
        _("登録番号"),
        max_length=14,
        blank=True,
        validators=[validate_registration_number],
    )
    contact_name = models.CharField(_("担当者名"), max_length=100)
    email = models.EmailField(_("メールアドレス"))
    phone = models.CharField(_("電話番号"), max_length=20)
    departments = models.ManyToManyField(
        Department, verbose_name=_("請求先の部署"), related_name="invitation_requests"
    )
    message = models.TextField(_("連絡事項"), blank=True)
    status = models.CharField(
        _("状態"),
        max_length=10,
        choices=InvitationRequestStatus,
        default=InvitationRequestStatus.PENDING,
    )
    decline_reason = models.TextField(_("見送りの理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("対応した人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("対応日時"), null=True, blank=True)
    remote_addr = models.GenericIPAddressField(
        _("送信元IPアドレス"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("申請日時"), auto_now_add=True)

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("招待の申請")
        verbose_name_plural = _("招待の申請")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvitationRequestStatus.values),
                name="invitation_request_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.company_name}（{self.created_at:%Y-%m-%d}）"


class Invitation(InvitationBase):
    """A municipality's invitation to a supplier to bill one department
    (招待). Accepting it creates the ``Connection``; a supplier that already
    has an account accepts with it, also when another municipality invites.

    When the registration number given names a supplier already on the
    platform, ``supplier`` is set: the link goes to that supplier's owners
    (管理者) and only one of them can accept it. ``email`` is then just the
    address the request or the city gave, never a way into the supplier:
    joining a supplier takes its owners' own ``MemberInvitation``.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("自治体"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部署"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    company_name = models.CharField(_("事業者名"), max_length=200, blank=True)
    registration_number = IdentifierField(
        _("登録番号"),
        max_length=14,
        blank=True,
        validators=[validate_registration_number],
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("既存の取引先"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="city_invitations",
        help_text=_(
            "登録番号が既存の取引先のものだった場合、その取引先の管理者だけが承諾できます。"
        ),
    )
    request = models.ForeignKey(
        InvitationRequest,
        verbose_name=_("申請"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
    )
    connection = models.ForeignKey(
        Connection,
        verbose_name=_("支払先"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
    )

    objects = ScopedManager(municipality="municipality")

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values),
                name="invitation_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.department}"


class MemberInvitation(InvitationBase):
    """An owner's invitation of a colleague to their supplier
    (取引先の利用者の招待)."""

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("取引先"),
        on_delete=models.CASCADE,
        related_name="member_invitations",
    )
    role = models.CharField(
        _("役割"), max_length=10, choices=SupplierRole, default=SupplierRole.CLERK
    )

    class Meta:
        verbose_name = _("利用者の招待")
        verbose_name_plural = _("利用者の招待")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values),
                name="member_invitation_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.supplier}"
