"""Development and demo: debug on, a fixed development secret."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault(
    "SECRET_KEY", "development-only-secret-never-use-in-production-0123456789"
)

from config.settings.base import *  # noqa: F403
