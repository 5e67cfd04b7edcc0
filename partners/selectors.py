"""Reads for suppliers; every function is explicit about whose data it reads."""

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.db.models.functions import Now

from accounts.models import User
from accounts.tokens import token_digest
from municipality.models import Municipality, SettingsEvent
from partners.models import (
    BankAccount,
    Connection,
    InvitationStatus,
    MemberInvitation,
    Supplier,
    SupplierMembership,
    SupplierRole,
)


@dataclass(frozen=True)
class SupplierAccess:
    """What one user is granted as a member of their supplier."""

    supplier: Supplier
    role: str
    municipality_ids: tuple[int, ...]

    @property
    def is_owner(self) -> bool:
        return self.role == SupplierRole.OWNER


def supplier_access_for(user) -> SupplierAccess | None:
    """The user's supplier membership, with the municipalities the supplier
    works with, or ``None`` for a user who belongs to no supplier."""
    if not user.is_authenticated:
        return None
    membership = (
        SupplierMembership.objects.select_related("supplier").filter(user=user).first()
    )
    if membership is None:
        return None
    return SupplierAccess(
        supplier=membership.supplier,
        role=membership.role,
        municipality_ids=supplier_municipality_ids(supplier_id=membership.supplier_id),
    )


def supplier_municipality_ids(*, supplier_id: int) -> tuple[int, ...]:
    """The municipalities the supplier works with (has a connection in):
    the tenant scope of its pages and of its tasks."""
    municipality_ids = Municipality.objects.filter(
        connections__supplier_id=supplier_id
    ).values_list("pk", flat=True)
    return tuple(sorted(set(municipality_ids)))


def supplier_users_for(*, supplier: Supplier) -> QuerySet[User]:
    """Every member of the supplier (mail recipients)."""
    return User.objects.filter(supplier_membership__supplier=supplier)


def bank_account_list_for_supplier(*, supplier: Supplier) -> QuerySet[BankAccount]:
    """The supplier's payee accounts (振込先口座), the default first."""
    return BankAccount.objects.filter(supplier=supplier).order_by("-is_default", "pk")


def supplier_owner_emails(*, supplier: Supplier) -> list[str]:
    """The addresses of the supplier's active owners (管理者), for the mail
    they always get: bank account changes, people joining."""
    return list(
        SupplierMembership.objects.filter(
            supplier=supplier, role=SupplierRole.OWNER, user__is_active=True
        )
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def supplier_for_registration_number(number: str) -> Supplier | None:
    """The supplier already on the platform with this 登録番号, if any."""
    if not number:
        return None
    return Supplier.objects.filter(registration_number=number).first()


def email_mask(address: str) -> str:
    """``ow***@example.jp``: enough for city staff to recognise a company's
    domain and tell owners apart, not enough to write to them."""
    local, _, domain = address.partition("@")
    keep = 1 if len(local) <= 4 else 2
    return f"{local[:keep]}***@{domain}"


def connection_list_for_supplier(*, supplier: Supplier) -> QuerySet[Connection]:
    """The supplier's connections (支払先登録) in every municipality."""
    return (
        Connection.objects.filter(supplier=supplier)
        .select_related("municipality", "department", "department__parent")
        .order_by("municipality__local_government_code", "department__code")
    )


def connection_list_for_department(*, department) -> QuerySet[Connection]:
    """The suppliers registered with one department."""
    return (
        Connection.objects.filter(
            municipality_id=department.municipality_id, department=department
        )
        .select_related("supplier")
        .order_by("supplier__name_kana", "pk")
    )


def connection_list_for_municipality(*, municipality) -> QuerySet[Connection]:
    """The municipality's whole 支払先マスタ."""
    return (
        Connection.objects.filter(municipality=municipality)
        .select_related("supplier", "department")
        .order_by("department__code", "supplier__name_kana", "pk")
    )


def member_list_for_supplier(*, supplier: Supplier) -> QuerySet[SupplierMembership]:
    return (
        SupplierMembership.objects.filter(supplier=supplier)
        .select_related("user")
        .order_by("user__email")
    )


def member_invitation_list_pending(*, supplier: Supplier) -> QuerySet[MemberInvitation]:
    """Invitations not accepted or revoked, with ``expired`` annotated:
    those can still be resent."""
    return (
        MemberInvitation.objects.filter(supplier=supplier, status=InvitationStatus.SENT)
        .select_related("invited_by")
        .annotate(
            expired=ExpressionWrapper(
                Q(expires_at__lte=Now()), output_field=BooleanField()
            )
        )
    )


def member_invitation_for_token(*, token: str) -> MemberInvitation | None:
    return (
        MemberInvitation.objects.select_related("supplier", "invited_by")
        .filter(token_digest=token_digest(token))
        .first()
    )


def settings_event_list_for_supplier(*, supplier: Supplier) -> QuerySet[SettingsEvent]:
    """The supplier's role changes, newest first (for its owners).

    They belong to no municipality, so the tenant scope (which would hide
    them) is lifted here and the supplier filter is the only one.
    """
    return (
        SettingsEvent.objects.with_scopes_disabled()
        .filter(supplier=supplier, municipality__isnull=True)
        .order_by("-pk")
    )
