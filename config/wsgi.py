"""WSGI entry point; production settings unless told otherwise."""

import os

from django.core.wsgi import get_wsgi_application

from config.gc_freeze import freeze_after_first_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
freeze_after_first_request()
