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

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring

from django.db import connection
from django.utils import timezone

from accounts.models import User
from invoices.copying import COPY_FROM, rows_copy
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


def _event_document(
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
) -> dict:
    return {
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


def event_digest(*hashed) -> str:
    """The hash of an event given as its ``EVENT_HASHED`` values."""
    return sha256_hex(canonical_json(_event_document(*hashed)))


# Stand-ins for what differs between alike events (``alike_digest``): no
# stored text holds a NUL character (PostgreSQL refuses it).
_INVOICE, _CONTENT, _PREV = "\x00invoice", "\x00content", "\x00prev"


def alike_digest(**alike) -> Callable[[int, str, str], str]:
    """``event_digest`` of events alike in everything but their invoice,
    content hash and previous hash (``EVENT_HASHED`` but those three, by
    name): a function of those three. The canonical text is made once with
    stand-ins in their places and filled in for each event, so the text
    hashed is the very one ``event_digest`` makes."""
    text = canonical_json(
        _event_document(
            invoice=_INVOICE, content_hash=_CONTENT, prev_hash=_PREV, **alike
        )
    )
    # In the text, sorted by key: content_hash, invoice, prev_hash.
    parts = []
    for stand_in in (_CONTENT, _INVOICE, _PREV):
        before, found, text = text.partition(encode_basestring(stand_in))
        if not found:
            raise ValueError("a stand-in is missing from the canonical text")
        parts.append(before)
    head, middle, rest, tail = *parts, text

    def digest(invoice_id: int, content_hash: str, prev_hash: str) -> str:
        text = (
            f"{head}{encode_basestring(content_hash)}{middle}{int(invoice_id)}"
            f"{rest}{encode_basestring(prev_hash)}{tail}"
        )
        return hashlib.sha256(text.encode()).hexdigest()

    return digest


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
    one lock per chain, with one ``bulk_create`` (or one COPY) whatever
    their number."""
    if not events:
        return []
    heads = chain_heads_lock(event.municipality_id for event in events)
    for municipality_id, head in heads.items():
        chain = [e for e in events if e.municipality_id == municipality_id]
        new_hash = chain_extend(chain, prev_hash=head.hash, hash_of=event_hash)
        chain_head_advance(head, new_hash, len(chain))
    if _copied(len(events)):
        data_at = EVENT_HASHED.index("data")
        rows = []
        for event in events:
            row = [getattr(event, name) for name in EVENT_HASHED]
            row[data_at] = canonical_json(row[data_at])
            rows.append((*row, event.hash))
        ids = rows_copy(
            InvoiceEvent._meta.db_table, ["id", *EVENT_HASHED, "hash"], rows
        )
        for event, pk in zip(events, ids, strict=True):
            event.pk = pk
            event._state.adding = False
            event._state.db = connection.alias
    else:
        # In list order, so each chain's ids grow in chain order.
        InvoiceEvent.objects.bulk_create(events, batch_size=BULK_BATCH)
    return events


def _copied(count: int) -> bool:
    return connection.vendor == "postgresql" and count >= COPY_FROM


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


def events_append_rows(
    *,
    invoices: list[tuple[int, int, str]],
    kind: str,
    actor: User | None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict | None = None,
) -> None:
    """``events_append`` for invoices given as (id, municipality id,
    content hash) rows, without model instances: a workflow move's or an
    upload's thousands of events, their hashes filled in from one canonical
    text per chain (``alike_digest``) and stored with one COPY."""
    if not _copied(len(invoices)):
        events_append(
            invoices=[
                Invoice(pk=pk, municipality_id=municipality_id, content_hash=hashed)
                for pk, municipality_id, hashed in invoices
            ],
            kind=kind,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            data=data,
        )
        return
    now = timezone.now()
    label = chain_actor_label(actor)
    actor_id = actor.pk if actor else None
    data = json.loads(canonical_json(data or {}))  # as events_append
    data_text = canonical_json(data)
    heads = chain_heads_lock(row[1] for row in invoices)
    digests = {
        municipality_id: alike_digest(
            municipality=municipality_id,
            kind=kind,
            actor=actor_id,
            actor_label=label,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            data=data,
            created_at=now,
        )
        for municipality_id in heads
    }
    last = {municipality_id: head.hash for municipality_id, head in heads.items()}
    # The rows in COPY's text format (EVENT_HASHED, then the hash): all but
    # the invoice and the hashes (hex digits, nothing to escape) are alike.
    alike = "\t".join(
        _copy_field(value)
        for value in (kind, actor_id, label, from_status, to_status, reason, data_text)
    )
    stamp = now.isoformat()
    lines = []
    for pk, municipality_id, hashed in invoices:
        prev_hash = last[municipality_id]
        new_hash = digests[municipality_id](pk, hashed, prev_hash)
        last[municipality_id] = new_hash
        lines.append(
            f"{int(pk)}\t{int(municipality_id)}\t{alike}\t{hashed}\t{prev_hash}"
            f"\t{stamp}\t{new_hash}\n"
        )
    appended = Counter(row[1] for row in invoices)
    for municipality_id, head in heads.items():
        chain_head_advance(head, last[municipality_id], appended[municipality_id])
    table = InvoiceEvent._meta.db_table
    # Each row takes its id from the sequence as it is copied, in list
    # order: each chain's ids grow in chain order, as in ``rows_copy``.
    statement = f"COPY {table} ({', '.join((*EVENT_HASHED, 'hash'))}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write("".join(lines).encode())


def events_append_listing(
    *,
    invoices: list[tuple[int, int]],
    kind: str,
    actor: User | None,
    data: dict,
    per_event: int,
) -> list[InvoiceEvent]:
    """Events listing ``invoices`` (id, municipality id) in
    ``data["invoices"]``, each at most ``per_event`` of one municipality's,
    in list order, in the caller's transaction: a streamed export's, whose
    events would otherwise cost more than the file (``InvoiceEvent``).
    Their content hashes are not repeated: issued invoices are frozen,
    which the verifier checks."""
    by_city: dict[int, list[int]] = {}
    for pk, municipality_id in invoices:
        by_city.setdefault(municipality_id, []).append(int(pk))
    listed = [
        (municipality_id, ids[n : n + per_event])
        for municipality_id, ids in by_city.items()
        for n in range(0, len(ids), per_event)
    ]
    now = timezone.now()
    actor_label = chain_actor_label(actor)
    data = json.loads(canonical_json(data))  # as events_append
    return events_write(
        [
            InvoiceEvent(
                municipality_id=municipality_id,
                kind=kind,
                actor=actor,
                actor_label=actor_label,
                data={**data, "invoices": ids},
                content_hash="",
                created_at=now,
            )
            for municipality_id, ids in listed
        ]
    )


# What COPY's text format escapes inside a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value) -> str:
    """A value in COPY's text format (``\\N`` is NULL)."""
    return "\\N" if value is None else str(value).translate(_COPY_ESCAPES)
