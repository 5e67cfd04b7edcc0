"""The base of every Celery task that works for one supplier across the
municipalities it works with (the supplier's side of ``TenantTask``).

A supplier task is called with ``supplier_id=`` as a keyword; the base
enters the scope of the supplier's municipalities, the same scope the
tenancy middleware gives the supplier's pages, around the task body and
around its failure handler. A task called without it fails at once, before
touching any data. ``tests/partners/test_supplier_tasks.py`` checks that
every task taking ``supplier_id`` uses this base.
"""

from celery import Task
from django_scopes import scope

from partners.selectors import supplier_municipality_ids


class MissingSupplierError(TypeError):
    """A supplier task was called without ``supplier_id=``."""


def _supplier_scope(task: Task, kwargs: dict):
    try:
        supplier_id = kwargs["supplier_id"]
    except KeyError:
        raise MissingSupplierError(
            f"{task.name} is a supplier task: call it with supplier_id= "
            "as a keyword argument."
        ) from None
    return scope(municipality=list(supplier_municipality_ids(supplier_id=supplier_id)))


class SupplierTask(Task):
    """Runs the task body inside the scope of the supplier's municipalities.

    A subclass that records failures overrides ``record_failure``; it runs
    inside the same scope, once the retries are used up or at once for an
    error that is not retried."""

    abstract = True

    def __call__(self, *args, **kwargs):
        with _supplier_scope(self, kwargs):
            return super().__call__(*args, **kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, MissingSupplierError):
            return  # nothing to record in: the call itself was wrong
        with _supplier_scope(self, kwargs):
            self.record_failure(exc, **kwargs)

    def record_failure(self, exc: BaseException, **kwargs) -> None:
        """Make a failure visible; nothing by default."""
