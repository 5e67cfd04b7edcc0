"""The audit trail (履歴): append-only, hash-chained events.

Invoice events (``InvoiceEvent``, appended here) and settings events
(``SettingsEvent``, appended by ``municipality.audit``, which also holds the
chains' helpers) share their municipality's chain. Each event's hash covers
its own content and the previous event's hash in that chain, whichever
table that event is in; ``AuditChainHead`` holds each chain's newest hash
and number of events. Writers lock the heads of the chains they append to,
so two transactions never chain onto the same predecessor, and within each
table a chain runs in id order. ``invoices.audit_verify`` follows the links
of every chain, recomputes everything and names the first event that does
not match (電子帳簿保存法: 訂正削除の履歴).
"""

import json
from collections.abc import Iterable

from django.utils import timezone

from accounts.models import User
from invoices.models import Invoice, InvoiceEvent
from municipality.audit import (
    canonical_json,
    chain_actor_label,
    chain_extend,
    chain_head_advance,
    chain_heads_lock,
    iso_stamp,
    settings_event_hash,
    sha256_hex,
)
from municipality.models import SettingsEvent

# Rows per INSERT: well under PostgreSQL's 65,535 parameters per statement.
BULK_BATCH = 2000


# The columns an invoice event's hash covers, in ``event_digest``'s order
# (the verifier reads them with ``values_list``).
EVENT_HASHED = (
    "invoice_id",
    "municipality_id",
    "kind",
    "actor_id",
    "actor_label",
    "from_status",
    "to_status",
    "reason",
    "data",
    "content_hash",
    "prev_hash",
    "created_at",
)


def event_digest(
    invoice,
    municipality,
    kind,
    actor,
    actor_label,
    from_status,
    to_status,
    reason,
    data,
    content_hash,
    prev_hash,
    created_at,
) -> str:
    return sha256_hex(
        canonical_json(
            {
                "invoice": invoice,
                "municipality": municipality,
                "kind": kind,
                "actor": actor,
                "actor_label": actor_label,
                "from": from_status,
                "to": to_status,
                "reason": reason,
                "data": data,
                "content_hash": content_hash,
                "prev_hash": prev_hash,
                "created_at": iso_stamp(created_at),
            }
        )
    )


def event_hash(event: InvoiceEvent) -> str:
    return event_digest(*(getattr(event, name) for name in EVENT_HASHED))


def any_event_hash(event: InvoiceEvent | SettingsEvent) -> str:
    """The hash of an invoice event or a settings event, for
    ``chain_extend`` over a mix of both."""
    if isinstance(event, SettingsEvent):
        return settings_event_hash(event)
    return event_hash(event)


def events_write(events: list[InvoiceEvent]) -> list[InvoiceEvent]:
    """Chain and store ``events`` (unsaved, hashes not set) in the caller's
    transaction: each onto its municipality's chain, in list order, under
    one lock per chain, with one ``bulk_create`` whatever their number."""
    if not events:
        return []
    heads = chain_heads_lock(event.municipality_id for event in events)
    for municipality_id, head in heads.items():
        chain = [e for e in events if e.municipality_id == municipality_id]
        new_hash = chain_extend(chain, prev_hash=head.hash, hash_of=event_hash)
        chain_head_advance(head, new_hash, len(chain))
    # In list order, so each chain's ids grow in chain order.
    InvoiceEvent.objects.bulk_create(events, batch_size=BULK_BATCH)
    return events


def events_append(
    *,
    invoices: Iterable[Invoice],
    kind: str,
    actor: User | None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict | None = None,
) -> list[InvoiceEvent]:
    """Append one event per invoice to its municipality's chain, in the
    caller's transaction (so the event exists exactly when the change does).
    ``data`` must hold JSON values only (strings for dates and amounts)."""
    now = timezone.now()
    actor_label = chain_actor_label(actor)
    # A JSON round trip, so the hash is computed on what the database returns.
    data = json.loads(canonical_json(data or {}))
    return events_write(
        [
            InvoiceEvent(
                invoice=invoice,
                municipality_id=invoice.municipality_id,
                kind=kind,
                actor=actor,
                actor_label=actor_label,
                from_status=from_status,
                to_status=to_status,
                reason=reason,
                data=data,
                content_hash=invoice.content_hash,
                created_at=now,
            )
            for invoice in invoices
        ]
    )


def event_append(*, invoice: Invoice, **kwargs) -> InvoiceEvent:
    (event,) = events_append(invoices=[invoice], **kwargs)
    return event
