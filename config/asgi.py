"""ASGI entry point; production settings unless told otherwise."""

import os

from django.core.asgi import get_asgi_application

from config.gc_freeze import freeze_after_first_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_asgi_application()
freeze_after_first_request()
