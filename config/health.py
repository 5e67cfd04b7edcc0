"""Health endpoints for load balancers and process managers, outside the
login and the tenancy (no user, no municipality, no session).

- ``/healthz`` (liveness): the process answers. It touches no database,
  so that an outage of PostgreSQL does not make every web process look
  dead and get restarted for nothing.
- ``/readyz`` (readiness): the process can serve requests: PostgreSQL
  answers, Redis (broker and cache) answers, the file storage takes a
  write. 200 when all do, 503 when one does not, so that the balancer
  sends traffic elsewhere. Each check names only the kind of error (no
  host names or messages for an unauthenticated caller); the logs have the
  details.
"""

import logging
import time
import uuid

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A dependency that takes longer than this is as good as down.
TIMEOUT_SECONDS = 3


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    if not settings.REDIS_URL:
        return  # tasks run in the web process (development): nothing to reach
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    name = default_storage.save(
        f"healthcheck/readyz-{uuid.uuid4().hex}.txt", ContentFile(b"ok")
    )
    default_storage.delete(name)


CHECKS = {"database": _database, "redis": _redis, "storage": _storage}


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # any failure means not ready
            logger.warning("readyz: %s is not ready: %r", name, error)
            results[name] = {"ok": False, "error": type(error).__name__}
            if name == "database":
                # A broken connection is not kept for the next request.
                connection.close_if_unusable_or_obsolete()
        else:
            elapsed = round((time.monotonic() - started) * 1000, 1)
            results[name] = {"ok": True, "ms": elapsed}
    ready = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
