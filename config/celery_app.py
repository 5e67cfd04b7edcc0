"""The Celery application.

Settings come from Django's settings under the ``CELERY_`` namespace. Without
``REDIS_URL`` the tasks run eagerly in the calling process (see settings).
"""

import os

from celery import Celery

# Production unless told otherwise, as manage.py, wsgi.py and asgi.py: this
# module is imported with the ``config`` package, so a development default
# here would win over theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Packages with tasks that are not apps: the treasury lives inside
# municipality (README, "Layout").
app.autodiscover_tasks(["municipality.treasury"])
