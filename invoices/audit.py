"""The audit trail (履歴): append-only, hash-chained events.

Two kinds of rows share one chain: invoice events (``InvoiceEvent``,
appended here) and settings events (``SettingsEvent``: treasury, deadline
and reminder settings, staff and supplier roles; appended by
``municipality.audit``, which also holds the chain's helpers). Each event's
hash covers its own content and the previous event's hash, whichever table
that event is in; ``AuditChainHead`` holds the newest hash and the number of
events. Writers lock the head row, so two transactions never chain onto the
same predecessor, and within each table the chain runs in id order.
``chain_verify`` follows the links through both tables, recomputes
everything and names the first event that does not match (電子帳簿保存法:
訂正削除の履歴).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from accounts.models import User
from invoices.models import Invoice, InvoiceEvent
from municipality.audit import (
    GENESIS,
    canonical_json,
    chain_actor_label,
    chain_head_advance,
    chain_head_lock,
    settings_event_hash,
    sha256_hex,
)
from municipality.models import AuditChainHead, SettingsEvent


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
    """Append one event per invoice to the chain, in the caller's
    transaction (so the event exists exactly when the change does).
    ``data`` must hold JSON values only (strings for dates and amounts)."""
    invoices = list(invoices)
    if not invoices:
        return []
    head = chain_head_lock()
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
            actor_label=chain_actor_label(actor),
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
    chain_head_advance(head, prev_hash, len(events))
    return events


def event_append(*, invoice: Invoice, **kwargs) -> InvoiceEvent:
    (event,) = events_append(invoices=[invoice], **kwargs)
    return event


# Verification --------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str
    table: str = "invoice"

    @property
    def where(self) -> str:
        """Which row, as the command names it (ids repeat across tables)."""
        if self.event_id is None:
            return ""
        if self.table == "settings":
            return gettext("設定・権限の履歴 ID %(id)s") % {"id": self.event_id}
        return gettext("履歴 ID %(id)s") % {"id": self.event_id}


class _Stream:
    """One table's events in id order, one at a time."""

    def __init__(self, queryset):
        self._rows = queryset.iterator(chunk_size=2000)
        self.head = None
        self.advance()

    def advance(self) -> None:
        self.head = next(self._rows, None)


def _table(event) -> str:
    return "settings" if isinstance(event, SettingsEvent) else "invoice"


def _event_label(event) -> str:
    if isinstance(event, SettingsEvent):
        return gettext("設定・権限の履歴 %(id)s") % {"id": event.pk}
    return gettext("履歴 %(id)s") % {"id": event.pk}


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
        streams = [
            _Stream(InvoiceEvent.objects.order_by("pk").select_related("invoice")),
            _Stream(SettingsEvent.objects.order_by("pk")),
        ]
        while heads := [s for s in streams if s.head is not None]:
            linked = [s for s in heads if s.head.prev_hash == prev_hash]
            if len(linked) != 1:
                # None: the predecessor was altered or removed. Two: two
                # events claim one predecessor (written without the lock).
                event = min(
                    (s.head for s in linked or heads),
                    key=lambda e: (e.created_at, _table(e) == "settings", e.pk),
                )
                return ChainProblem(
                    event.pk,
                    gettext(
                        "%(event)s の直前のハッシュが一致しません"
                        "（前の履歴が変更または削除されています）。"
                    )
                    % {"event": _event_label(event)},
                    _table(event),
                )
            stream = linked[0]
            event = stream.head
            stream.advance()
            count += 1
            if isinstance(event, SettingsEvent):
                if settings_event_hash(event) != event.hash:
                    return ChainProblem(
                        event.pk,
                        gettext("%(event)s の内容がハッシュと一致しません。")
                        % {"event": _event_label(event)},
                        "settings",
                    )
                prev_hash = event.hash
                continue
            if event_hash(event) != event.hash:
                return ChainProblem(
                    event.pk,
                    gettext("%(event)s の内容がハッシュと一致しません。")
                    % {"event": _event_label(event)},
                )
            invoice = event.invoice
            if event.content_hash != invoice.content_hash:
                return ChainProblem(
                    event.pk,
                    gettext(
                        "履歴 %(id)s の時点の内容ハッシュと請求書 %(pk)s の"
                        "内容ハッシュが一致しません。"
                    )
                    % {"id": event.pk, "pk": invoice.pk},
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
                gettext(
                    "履歴の件数または最新のハッシュが記録と一致しません"
                    "（記録 %(recorded)s 件、実際 %(actual)s 件）。"
                    "最後の履歴が削除されている可能性があります。"
                )
                % {"recorded": head_count, "actual": count},
            )
    return None
