"""The base of every Celery task that works inside one municipality.

A tenant task is called with ``municipality_id=`` as a keyword; the base
enters that municipality's scope around the task body and around its failure
handler, so no task writes ``with scope(...)`` by hand. A task called without
it fails at once, before touching any data.

Tasks with no tenant (the mail task, the beat fan-outs, the supplier's CSV
import, which may span municipalities) stay plain Celery tasks and say so in
their docstring; ``tests/municipality/test_tenant_tasks.py`` checks that every
task taking ``municipality_id`` uses this base.

Retries are for transient errors only: a programming error (a ``TypeError``,
a template error, a missing row) fails once, visibly, and the failure handler
records it where people see it.
"""

from celery import Task
from django.db import InterfaceError, OperationalError
from django_scopes import scope

# The database went away for a moment (restart, failover, lock timeout).
DATABASE_ERRORS = (OperationalError, InterfaceError)
# The network or a file system went away for a moment: OSError covers
# ConnectionError, TimeoutError, a full or unwritable disk, a shared folder
# that is not mounted, and smtplib's errors.
IO_ERRORS = (OSError,)
TRANSIENT_ERRORS = DATABASE_ERRORS + IO_ERRORS


class MissingMunicipalityError(TypeError):
    """A tenant task was called without ``municipality_id=``."""


def _municipality_id(task: Task, kwargs: dict) -> int:
    try:
        return kwargs["municipality_id"]
    except KeyError:
        raise MissingMunicipalityError(
            f"{task.name} is a tenant task: call it with municipality_id= "
            "as a keyword argument."
        ) from None


class TenantTask(Task):
    """Runs the task body inside ``scope(municipality=municipality_id)``.

    A subclass that records failures overrides ``record_failure``; it runs
    inside the same scope, once the retries are used up or at once for an
    error that is not retried."""

    abstract = True

    def __call__(self, *args, **kwargs):
        with scope(municipality=_municipality_id(self, kwargs)):
            return super().__call__(*args, **kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, MissingMunicipalityError):
            return  # nothing to record in: the call itself was wrong
        with scope(municipality=_municipality_id(self, kwargs)):
            self.record_failure(exc, **kwargs)

    def record_failure(self, exc: BaseException, **kwargs) -> None:
        """Make a failure visible; nothing by default."""
