"""API keys (APIキー): create, revoke, authenticate, and the log of calls."""

import hashlib
import hmac
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from api.models import ApiCall, ApiKey
from partners.models import Supplier, SupplierMembership

# "ipk_" + 8 characters of prefix + "_" + the secret: a leaked key is easy to
# recognise (secret scanners) and to find by its prefix.
KEY_MARK = "ipk_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, supplier: Supplier, actor: User, name: str, scope: str, expires_at: datetime
) -> tuple[ApiKey, str]:
    """A new key and its full text, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        supplier=supplier,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scope=scope,
        expires_at=expires_at,
        created_by=actor,
    )
    return key, f"{KEY_MARK}{prefix}_{secret}"


def api_key_revoke(*, api_key: ApiKey, actor: User) -> None:
    """Stops the key at once; calls already made stay in the log."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def api_key_authenticate(*, token: str) -> ApiKey | None:
    """The active key that ``token`` is, or ``None``. Compared in constant
    time; a key whose creator no longer belongs to its supplier is refused."""
    if not token.startswith(KEY_MARK):
        return None
    prefix, _, secret = token.removeprefix(KEY_MARK).partition("_")
    key = (
        ApiKey.objects.select_related("supplier", "created_by")
        .filter(prefix=prefix)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    if not key.is_active or not key.created_by.is_active:
        return None
    if not SupplierMembership.objects.filter(
        user=key.created_by, supplier=key.supplier
    ).exists():
        return None
    return key


def api_call_record(
    *,
    api_key: ApiKey,
    actor: User,
    method: str,
    path: str,
    status: int,
    idempotency_key: str,
    client_ip: str | None,
) -> None:
    """Logs one call and notes when the key was last used (at most once a
    minute, so that a busy key does not rewrite its row on every call)."""
    now = timezone.now()
    ApiCall.objects.create(
        api_key=api_key,
        method=method,
        path=path[:300],
        status=status,
        idempotency_key=idempotency_key[:100],
        client_ip=client_ip,
        created_at=now,
    )
    stale = api_key.last_used_at is None or (now - api_key.last_used_at).seconds >= 60
    if stale:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
