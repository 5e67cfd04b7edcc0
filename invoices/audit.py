"""The audit trail (履歴): append-only, hash-chained invoice events.

Each event's hash covers its own content and the previous event's hash, in
id order across all invoices; ``AuditChainHead`` holds the newest hash and
the number of events. Writers lock the head row, so two transactions never
chain onto the same predecessor. ``chain_verify`` recomputes everything and
names the first event that does not match (電子帳簿保存法: 訂正削除の履歴).
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import AuditChainHead, Invoice, InvoiceEvent

GENESIS = "0" * 64


def canonical_json(value) -> str:
    """One fixed text for a JSON value: sorted keys, no spaces."""
    return json.dumps(
        value,
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def event_hash(event: InvoiceEvent) -> str:
    return sha256_hex(
        canonical_json(
            {
                "invoice": event.invoice_id,
                "municipality": event.municipality_id,
                "kind": event.kind,
                "actor": event.actor_id,
                "actor_label": event.actor_label,
                "from": event.from_status,
                "to": event.to_status,
                "reason": event.reason,
                "data": event.data,
                "content_hash": event.content_hash,
                "prev_hash": event.prev_hash,
                "created_at": event.created_at.isoformat(),
            }
        )
    )


def _actor_label(actor) -> str:
    if actor is None:
        return "システム"
    return f"{actor.name} <{actor.email}>" if actor.name else actor.email


def events_append(
    *,
    invoices: Iterable[Invoice],
    kind: str,
    actor,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict | None = None,
) -> list[InvoiceEvent]:
    """Append one event per invoice to the chain, in the caller's
    transaction (so the event exists exactly when the change does).
    ``data`` must hold JSON values only (strings for dates and amounts)."""
    invoices = list(invoices)
    if not invoices:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events_append must run inside transaction.atomic")
    with scopes_disabled():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"hash": GENESIS}
        )
    now = timezone.now()
    # A JSON round trip, so the hash is computed on what the database returns.
    data = json.loads(canonical_json(data or {}))
    events = []
    prev_hash = head.hash
    for invoice in invoices:
        event = InvoiceEvent(
            invoice=invoice,
            municipality_id=invoice.municipality_id,
            kind=kind,
            actor=actor,
            actor_label=_actor_label(actor),
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            data=data,
            content_hash=invoice.content_hash,
            prev_hash=prev_hash,
            created_at=now,
        )
        event.hash = event_hash(event)
        prev_hash = event.hash
        events.append(event)
    InvoiceEvent.objects.bulk_create(events)
    head.hash = prev_hash
    head.count += len(events)
    head.save(update_fields=["hash", "count"])
    return events


def event_append(*, invoice: Invoice, **kwargs) -> InvoiceEvent:
    (event,) = events_append(invoices=[invoice], **kwargs)
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str


def chain_verify() -> ChainProblem | None:
    """The first problem in the audit trail, or ``None`` when it is intact.

    Checks each event's hash and link to its predecessor, that the head
    matches the newest event and the count, and that each event's invoice
    still has the content it had (its snapshot hashes to the recorded
    content hash, and its lines and totals match the snapshot).
    """
    from invoices.snapshot import invoice_content_problem

    with scopes_disabled():
        prev_hash = GENESIS
        count = 0
        checked_invoices: set[int] = set()
        events = InvoiceEvent.objects.order_by("pk").select_related("invoice")
        for event in events.iterator(chunk_size=2000):
            count += 1
            if event.prev_hash != prev_hash:
                return ChainProblem(
                    event.pk,
                    f"履歴 {event.pk} の直前のハッシュが一致しません"
                    "（前の履歴が変更または削除されています）。",
                )
            if event_hash(event) != event.hash:
                return ChainProblem(
                    event.pk, f"履歴 {event.pk} の内容がハッシュと一致しません。"
                )
            invoice = event.invoice
            if event.content_hash != invoice.content_hash:
                return ChainProblem(
                    event.pk,
                    f"履歴 {event.pk} の時点の内容ハッシュと請求書 {invoice.pk} の"
                    "内容ハッシュが一致しません。",
                )
            if invoice.pk not in checked_invoices:
                checked_invoices.add(invoice.pk)
                if problem := invoice_content_problem(invoice):
                    return ChainProblem(event.pk, problem)
            prev_hash = event.hash
        head = AuditChainHead.objects.filter(pk=1).first()
        head_hash, head_count = (head.hash, head.count) if head else (GENESIS, 0)
        if (head_hash, head_count) != (prev_hash, count):
            return ChainProblem(
                None,
                f"履歴の件数または最新のハッシュが記録と一致しません"
                f"（記録 {head_count} 件、実際 {count} 件）。"
                "最後の履歴が削除されている可能性があります。",
            )
    return None
