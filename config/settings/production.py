"""Production: debug off, HTTPS only, SECRET_KEY and ALLOWED_HOSTS required."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, env

DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ... and appends the client's address to X-Forwarded-For, which the login
# rate limits then count instead of the proxy's own address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The balancer's health checks may come over plain HTTP to a web process.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Database connections are kept between requests, and checked before a
# request uses one: after a PostgreSQL restart or failover a web process
# drops the dead connection and opens a new one, with no restart of its own.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)

# Celery's worker keeps the portal's log format (with request ids) rather
# than its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
