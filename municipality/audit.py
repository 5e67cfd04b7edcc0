"""The audit trail's chains and settings events (設定・権限の変更履歴).

Invoice events (``InvoiceEvent``, written by ``invoices.audit``) and settings
events (``SettingsEvent``: treasury, deadline and reminder settings, staff
and supplier roles, departments) are hash-chained, one chain per
municipality: a city's invoice events and settings events share its chain,
and events that belong to no municipality (a supplier's role changes) go to
the platform chain. ``AuditChainHead`` holds each chain's newest hash and
number of events; a writer locks the head of the chain it appends to
(``chain_head_lock``), so two transactions never chain onto the same
predecessor while two cities' writers never wait for each other.
``invoices.audit_verify`` checks the chains.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from accounts.models import User
from municipality.models import (
    AuditChainHead,
    ChainScope,
    SettingsAction,
    SettingsEvent,
)

GENESIS = "0" * 64

# One encoder for every call: json.dumps with options builds a new one each
# time, which costs more than the encoding of a small event.
_CANONICAL = DjangoJSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":")
)


def canonical_json(value) -> str:
    """One fixed text for a JSON value: sorted keys, no spaces."""
    return _CANONICAL.encode(value)


def iso_stamp(moment: datetime | str) -> str:
    """An event's time as its hash covers it: ``isoformat()``, or the same
    text already formatted by the database (the chain verifier's reads)."""
    return moment if isinstance(moment, str) else moment.isoformat()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def chain_actor_label(actor: User | None) -> str:
    if actor is None:
        # Stored in the record: the source language, whoever is acting.
        with translation.override(settings.LANGUAGE_CODE):
            return gettext("システム")
    return f"{actor.name} <{actor.email}>" if actor.name else actor.email


def chain_head_lock(municipality_id: int | None) -> AuditChainHead:
    """The head row of ``municipality_id``'s chain (the platform chain for
    ``None``), locked until the caller's transaction ends. Only writers of
    the same chain wait for each other."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be appended inside transaction.atomic")
    scope = ChainScope.PLATFORM if municipality_id is None else ChainScope.MUNICIPALITY
    with scopes_disabled():
        # A new chain's row is created by its first writer; the unique
        # constraints make a second one at the same moment wait and lock it.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            scope=scope, municipality_id=municipality_id, defaults={"hash": GENESIS}
        )
    return head


def chain_heads_lock(
    municipality_ids: Iterable[int | None],
) -> dict[int | None, AuditChainHead]:
    """The heads of several chains, locked in one fixed order (platform
    first, then by municipality id) so two writers never deadlock."""
    ids = sorted(set(municipality_ids), key=lambda pk: (pk is not None, pk or 0))
    return {pk: chain_head_lock(pk) for pk in ids}


def chain_extend(events: list, *, prev_hash: str, hash_of: Callable) -> str:
    """Link ``events`` (unsaved, in chain order) after ``prev_hash``: set
    each one's ``prev_hash`` and ``hash`` (``hash_of(event)``) and return
    the last hash, the chain's new head. Pure Python, so whoever writes
    events in bulk (the services, the benchmark seeder) chains thousands of
    them without a query each."""
    for event in events:
        event.prev_hash = prev_hash
        event.hash = prev_hash = hash_of(event)
    return prev_hash


def chain_head_advance(head: AuditChainHead, new_hash: str, appended: int) -> None:
    head.hash = new_hash
    head.count += appended
    head.save(update_fields=["hash", "count"])


# Settings events -------------------------------------------------------------


# The columns a settings event's hash covers, in ``settings_event_digest``'s
# order (the verifier reads them with ``values_list``).
SETTINGS_EVENT_HASHED = (
    "municipality_id",
    "supplier_id",
    "kind",
    "action",
    "subject_user_id",
    "target_label",
    "changes",
    "actor_id",
    "actor_label",
    "prev_hash",
    "created_at",
)


def settings_event_digest(
    municipality,
    supplier,
    kind,
    action,
    subject_user,
    target,
    changes,
    actor,
    actor_label,
    prev_hash,
    created_at,
) -> str:
    return sha256_hex(
        canonical_json(
            {
                "table": "settings",
                "municipality": municipality,
                "supplier": supplier,
                "kind": kind,
                "action": action,
                "subject_user": subject_user,
                "target": target,
                "changes": changes,
                "actor": actor,
                "actor_label": actor_label,
                "prev_hash": prev_hash,
                "created_at": iso_stamp(created_at),
            }
        )
    )


def settings_event_hash(event: SettingsEvent) -> str:
    return settings_event_digest(
        *(getattr(event, name) for name in SETTINGS_EVENT_HASHED)
    )


def _display(field: models.Field, value) -> str:
    """A stored value as people read it: choice labels, 有効/無効, names.
    The text goes into the audit record, so it is written in the source
    language (Japanese) whatever language the acting user reads."""
    if value is None or value == "":
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(field, models.BooleanField):
            return gettext("有効") if value else gettext("無効")
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return str(value)


def field_values(instance: models.Model, names: Iterable[str]) -> dict[str, str]:
    """``instance``'s fields ``names`` as display text (related rows by
    their name), to compare before and after a change."""
    values = {}
    for name in names:
        field = instance._meta.get_field(name)
        values[name] = _display(field, getattr(instance, name))
    return values


def field_changes(
    *,
    model: type[models.Model],
    before: dict[str, str],
    after: dict[str, str],
    labels: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """The fields whose text differs, with their label and both values (an
    empty ``before`` or ``after`` dict stands for a row created or
    deleted)."""
    labels = labels or {}
    changes = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name, ""), after.get(name, "")
        if old != new:
            label = labels.get(name) or model._meta.get_field(name).verbose_name
            with translation.override(settings.LANGUAGE_CODE):
                label = str(label)
            changes.append({"field": name, "label": label, "before": old, "after": new})
    return changes


def settings_event_append(
    *,
    kind: str,
    action: str,
    target_label: str,
    changes: list[dict[str, str]],
    actor: User | None,
    municipality_id: int | None = None,
    supplier_id: int | None = None,
    subject_user_id: int | None = None,
) -> SettingsEvent | None:
    """Append one settings event to the chain, in the caller's transaction
    (so it exists exactly when the change does). A change that changed
    nothing (``CHANGED`` with no ``changes``) is not recorded: ``None``."""
    if action == SettingsAction.CHANGED and not changes:
        return None
    head = chain_head_lock(municipality_id)
    event = SettingsEvent(
        municipality_id=municipality_id,
        supplier_id=supplier_id,
        kind=kind,
        action=action,
        subject_user_id=subject_user_id,
        target_label=target_label,
        # A JSON round trip, so the hash is computed on what the database
        # returns.
        changes=json.loads(canonical_json(changes)),
        actor=actor,
        actor_label=chain_actor_label(actor),
        created_at=timezone.now(),
    )
    chain_extend([event], prev_hash=head.hash, hash_of=settings_event_hash)
    with scopes_disabled():
        event.save()
    chain_head_advance(head, event.hash, 1)
    return event
