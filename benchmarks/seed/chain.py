"""The audit chain of the seeded events, linked as the services link it."""

from types import SimpleNamespace

from invoices.audit import event_hash
from municipality.audit import GENESIS
from municipality.models import AuditChainHead, ChainScope


class AuditChain:
    """Links invoice events as ``invoices.audit.events_append`` does, in the
    order they are given (time order, which is also their id order).

    Each municipality has its chain (``AuditChainHead`` of scope
    municipality, with its settings events): ``key`` is the municipality.
    """

    def __init__(self):
        self.heads: dict[int, tuple[str, int]] = {}

    def key(self, municipality_id: int) -> int:
        return municipality_id

    def _head(self, key: int) -> tuple[str, int]:
        head = AuditChainHead.objects.filter(
            scope=ChainScope.MUNICIPALITY, municipality_id=key
        ).first()
        return (head.hash, head.count) if head else (GENESIS, 0)

    def link(self, event: dict) -> None:
        """Fill ``event``'s ``prev_hash`` and ``hash``."""
        key = self.key(event["municipality_id"])
        if key not in self.heads:
            self.heads[key] = self._head(key)
        prev_hash, count = self.heads[key]
        event["prev_hash"] = prev_hash
        event["hash"] = event_hash(SimpleNamespace(**event))
        self.heads[key] = (event["hash"], count + 1)

    def heads_save(self) -> None:
        for key, (hash_, count) in self.heads.items():
            AuditChainHead.objects.update_or_create(
                scope=ChainScope.MUNICIPALITY,
                municipality_id=key,
                defaults={"hash": hash_, "count": count},
            )
