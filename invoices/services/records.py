"""Records in the invoices' histories of exports and downloads."""

from collections.abc import Iterable

from django.db import transaction

from accounts.models import User
from invoices.audit import events_append, events_append_listing
from invoices.models import Invoice


@transaction.atomic
def invoices_record_export(
    *, invoices: Iterable[Invoice], actor: User | None, kind: str, data: dict
) -> None:
    """Record an export or download of ``invoices`` in their histories."""
    events_append(invoices=invoices, kind=kind, actor=actor, data=data)


@transaction.atomic
def invoices_record_export_rows(
    *,
    invoices: list[tuple[int, int]],
    actor: User | None,
    kind: str,
    data: dict,
    per_event: int,
) -> None:
    """``invoices_record_export`` of a streamed export's invoices, given as
    (id, municipality id) rows, in one transaction: events that list at
    most ``per_event`` of one municipality's (``events_append_listing``),
    which their histories show."""
    if invoices:
        events_append_listing(
            invoices=invoices, kind=kind, actor=actor, data=data, per_event=per_event
        )
