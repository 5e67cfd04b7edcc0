"""Records in the invoices' histories of exports and downloads."""

from collections.abc import Iterable

from django.db import transaction

from accounts.models import User
from invoices.audit import events_append
from invoices.models import Invoice


@transaction.atomic
def invoices_record_export(
    *, invoices: Iterable[Invoice], actor: User | None, kind: str, data: dict
) -> None:
    """Record an export or download of ``invoices`` in their histories."""
    events_append(invoices=invoices, kind=kind, actor=actor, data=data)
