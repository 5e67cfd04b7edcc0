"""Writes for a supplier's own profile (事業者情報) and seal image (印影)."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.files import File
from django.db import transaction

from partners.models import Supplier

# What an owner may edit; everything else on ``Supplier`` is managed by the
# platform (e.g. timestamps) or through its own service (the seal).
SUPPLIER_PROFILE_FIELDS = (
    "legal_name",
    "name_kana",
    "legal_form",
    "registration_number",
    "corporate_number",
    "postal_code",
    "address",
    "phone",
    "contact_name",
    "contact_email",
    "tax_rounding",
    "default_price_basis",
)


@transaction.atomic
def supplier_profile_update(
    *,
    supplier: Supplier,
    data: Mapping[str, Any],
    seal: File | None = None,
    remove_seal: bool = False,
) -> Supplier:
    """Save the profile fields in ``data`` and replace or remove the seal.

    ``seal`` must already have passed ``partners.images.seal_image_clean``.
    Raises ``ValidationError`` (before any file is written) if the profile is
    invalid, e.g. a registration number already used by another supplier.
    """
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    for field in SUPPLIER_PROFILE_FIELDS:
        setattr(supplier, field, data[field])
    supplier.full_clean()
    old_seal = supplier.seal_image.name
    if seal is not None:
        supplier.seal_image.save(seal.name, seal, save=False)
    elif remove_seal:
        supplier.seal_image = ""
    supplier.save()
    if old_seal and old_seal != supplier.seal_image.name:
        # Only once the new name is committed: a rollback keeps the old file.
        transaction.on_commit(partial(supplier.seal_image.storage.delete, old_seal))
    return supplier
