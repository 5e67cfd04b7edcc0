"""Settings of ``make bench``: production's, on the benchmark database.

The pages are measured as production serves them (debug off, the same
middleware and templates), over plain HTTP on this machine, against
``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/portal_bench``),
a database of its own that the benchmark creates and seeds.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-never-use-in-production-0123")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from config.settings.production import *  # noqa: F403
from config.settings.production import DATABASES, STORAGES, database_tuned, env

BENCH_DATABASE_URL = env(
    "BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/portal_bench"
)
# Production's connection settings (kept connections, no JIT) on the
# benchmark's database.
DATABASES = {
    "default": database_tuned(
        {**DATABASES["default"], **env.db_url_config(BENCH_DATABASE_URL)}
    )
}
# Plain HTTP on this machine: the load client sends the session cookie.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Static file URLs without collectstatic's manifest (their files are not
# requested; building the manifest is not what is measured).
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
