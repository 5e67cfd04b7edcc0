"""Queueing a task once the transaction commits, without letting a broker
that is away (Redis restarting) turn a committed change into an error."""

import logging

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Queue ``task`` after commit. When the broker cannot be reached the
    change stays committed, the failure is logged, and the sweeper
    (``manage.py requeue_stalled``, every 5 minutes) queues the work again
    from its row; for work without a sweeper use ``on_commit`` directly."""

    def enqueue():
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except OperationalError:
            logger.exception(
                "Could not queue %s (broker unreachable); the sweeper will "
                "queue it again.",
                task.name,
            )

    transaction.on_commit(enqueue)
