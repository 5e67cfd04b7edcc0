"""Tokens for emailed links (invitations of suppliers, their members and
city staff): random, single-use, stored only as a digest."""

import hashlib
import secrets


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_new() -> tuple[str, str]:
    """A fresh token for a link, and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)
