"""The audit trail's chain and settings events (設定・権限の変更履歴).

Invoice events (``InvoiceEvent``, written by ``invoices.audit``) and settings
events (``SettingsEvent``: treasury, deadline and reminder settings, staff
and supplier roles, departments) share one hash chain. ``AuditChainHead``
holds the newest hash and the number of events; every writer locks it
(``chain_head_lock``), so two transactions never chain onto the same
predecessor. ``invoices.audit.chain_verify`` checks the whole chain.
"""

import hashlib
import json
from collections.abc import Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from accounts.models import User
from municipality.models import AuditChainHead, SettingsAction, SettingsEvent

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


def chain_actor_label(actor: User | None) -> str:
    if actor is None:
        # Stored in the record: the source language, whoever is acting.
        with translation.override(settings.LANGUAGE_CODE):
            return gettext("システム")
    return f"{actor.name} <{actor.email}>" if actor.name else actor.email


def chain_head_lock() -> AuditChainHead:
    """The chain's head row, locked until the caller's transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be appended inside transaction.atomic")
    with scopes_disabled():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"hash": GENESIS}
        )
    return head


def chain_head_advance(head: AuditChainHead, new_hash: str, appended: int) -> None:
    head.hash = new_hash
    head.count += appended
    head.save(update_fields=["hash", "count"])


# Settings events -------------------------------------------------------------


def settings_event_hash(event: SettingsEvent) -> str:
    return sha256_hex(
        canonical_json(
            {
                "table": "settings",
                "municipality": event.municipality_id,
                "supplier": event.supplier_id,
                "kind": event.kind,
                "action": event.action,
                "subject_user": event.subject_user_id,
                "target": event.target_label,
                "changes": event.changes,
                "actor": event.actor_id,
                "actor_label": event.actor_label,
                "prev_hash": event.prev_hash,
                "created_at": event.created_at.isoformat(),
            }
        )
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
    head = chain_head_lock()
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
        prev_hash=head.hash,
        created_at=timezone.now(),
    )
    event.hash = settings_event_hash(event)
    with scopes_disabled():
        event.save()
    chain_head_advance(head, event.hash, 1)
    return event
