"""Writes for suppliers, their members and their connections."""

from django.core.exceptions import ValidationError
from django.db import transaction

from municipality.models import Department
from partners.models import Connection, Supplier, SupplierMembership, SupplierRole


@transaction.atomic
def supplier_member_add(
    *, supplier: Supplier, user, role: SupplierRole
) -> SupplierMembership:
    """Make ``user`` a member of ``supplier``.

    Raises ``ValidationError`` if the user already belongs to another
    supplier (one user, one supplier).
    """
    membership = SupplierMembership.objects.filter(user=user).first()
    if membership is not None and membership.supplier_id != supplier.pk:
        raise ValidationError(
            "この利用者はすでに別の取引先（%(name)s）に所属しています。",
            params={"name": membership.supplier},
        )
    if membership is None:
        membership = SupplierMembership(user=user, supplier=supplier)
    membership.role = role
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def connection_create(
    *, supplier: Supplier, department: Department, payee_code: str = ""
) -> Connection:
    """Register ``supplier`` with ``department`` (支払先マスタ).

    Idempotent for the pair: an existing connection is returned (and
    reactivated) rather than duplicated.
    """
    connection, created = Connection.objects.get_or_create(
        supplier=supplier,
        department=department,
        defaults={"municipality": department.municipality, "payee_code": payee_code},
    )
    if not created and not connection.is_active:
        connection.is_active = True
        connection.save(update_fields=["is_active", "updated_at"])
    return connection
