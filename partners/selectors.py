"""Reads for suppliers; every function is explicit about whose data it reads."""

from dataclasses import dataclass

from django.db.models import QuerySet

from municipality.models import Municipality
from partners.models import Connection, Supplier, SupplierMembership, SupplierRole


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
    municipality_ids = Municipality.objects.filter(
        connections__supplier=membership.supplier
    ).values_list("pk", flat=True)
    return SupplierAccess(
        supplier=membership.supplier,
        role=membership.role,
        municipality_ids=tuple(sorted(set(municipality_ids))),
    )


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
