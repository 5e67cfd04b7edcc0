"""The stored answers of idempotent writes (see ``api.idempotency``)."""

from accounts.models import User
from api.models import ApiKey, IdempotentRequest


def idempotent_answer_record(
    *,
    api_key: ApiKey,
    actor: User,
    key: str,
    request_hash: str,
    status: int,
    body: dict,
) -> None:
    """Keeps the answer of a write, in the write's own transaction."""
    IdempotentRequest.objects.create(
        api_key=api_key, key=key, request_hash=request_hash, status=status, body=body
    )
