"""Tests: fast hashing, mail kept in memory, tasks eager unless a test starts
a real worker. DATABASE_URL still decides the database (PostgreSQL in CI)."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-never-use-in-production-0123456789abcdef"
)

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
# In tests a failing task should fail the test that ran it.
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files from the app folders; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
