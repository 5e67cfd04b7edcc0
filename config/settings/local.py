"""Development and demo: debug on, a fixed development secret.

Refuses to start when ALLOWED_HOSTS names anything but this machine: debug
pages and the published development secret must never face a network.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault(
    "SECRET_KEY", "development-only-secret-never-use-in-production-0123456789"
)

from config.settings.base import *  # noqa: F403
from config.settings.base import ALLOWED_HOSTS


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if _outside := [host for host in ALLOWED_HOSTS if not _is_loopback(host)]:
    raise ImproperlyConfigured(
        "config.settings.local is for development on this machine only, but "
        f"ALLOWED_HOSTS names {', '.join(_outside)}. Run a server with "
        "DJANGO_SETTINGS_MODULE=config.settings.production (SECRET_KEY and "
        "ALLOWED_HOSTS required), or leave ALLOWED_HOSTS to 127.0.0.1/localhost."
    )

# A webhook receiver on this machine, for trying the API out.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
