"""Request ids: one id per request, in the response's ``X-Request-ID``
header and in every log line written while it is served, including those
of the Celery tasks it queued.

The id comes from the reverse proxy (nginx sets ``X-Request-ID``, see
deploy/nginx.conf), so that the proxy's access log, the web process's lines
and the workers' lines of one request share it; a request that arrives
without one (or with one that is not a plain token) gets a new one.
"""

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# What is accepted from outside: a plain token, so that a log line cannot be
# forged or broken by the header's content.
_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")
NONE = "-"

_current: ContextVar[str] = ContextVar("request_id", default=NONE)


def request_id_get() -> str:
    """The id of the request (or task) being served, ``-`` outside one."""
    return _current.get()


def request_id_set(value: str | None):
    """Makes ``value`` (a new id when it is missing or not a plain token)
    the current id; returns the token that ``request_id_reset`` takes."""
    if not value or not _VALID.fullmatch(value):
        value = uuid.uuid4().hex
    return _current.set(value)


def request_id_reset(token) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every log record a ``request_id`` for the formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
