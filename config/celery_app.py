"""The Celery application.

Settings come from Django's settings under the ``CELERY_`` namespace. Without
``REDIS_URL`` the tasks run eagerly in the calling process (see settings).
"""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from config.request_ids import NONE, request_id_get, request_id_reset, request_id_set

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


# A task's log lines carry the id of the request that queued it
# (config.request_ids); a task queued by a task or by beat, its own id.
@before_task_publish.connect
def _request_id_send(headers=None, **kwargs):
    if headers is not None and request_id_get() != NONE:
        headers.setdefault("request_id", request_id_get())


@task_prerun.connect
def _request_id_enter(task_id=None, task=None, **kwargs):
    task.request.request_id_token = request_id_set(
        getattr(task.request, "request_id", None) or task_id
    )


@task_postrun.connect
def _request_id_leave(task=None, **kwargs):
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_reset(token)
