"""Tenant tasks enter their municipality's scope in one place (TenantTask),
and retry only what is worth a retry."""

import inspect

import pytest
from django.db import OperationalError

from config.celery_app import app
from municipality.models import Department
from municipality.tenant_tasks import (
    TRANSIENT_ERRORS,
    MissingMunicipalityError,
    TenantTask,
)

pytestmark = pytest.mark.django_db

calls: list[str] = []


@app.task(base=TenantTask, name="tests.tenant_departments")
def tenant_departments_task(*, municipality_id: int) -> list[int]:
    # Department is scoped: outside a scope this raises ScopeError.
    return sorted(Department.objects.values_list("pk", flat=True))


@app.task(
    base=TenantTask,
    name="tests.tenant_raises",
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=3,
    retry_backoff=False,
    default_retry_delay=0,
)
def tenant_raises_task(*, municipality_id: int, error: str) -> None:
    calls.append(error)
    if error == "type":
        raise TypeError("a programming error")
    raise OperationalError("the database went away")


@pytest.fixture
def worker_semantics():
    """Eager tasks that retry and record failures instead of raising."""
    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    calls.clear()
    yield
    app.conf.task_eager_propagates = saved


def test_a_tenant_task_runs_inside_its_municipalitys_scope(tenant, other_tenant):
    result = tenant_departments_task.delay(municipality_id=tenant.municipality.pk)
    assert result.get() == sorted([tenant.department.pk, tenant.other_department.pk])


def test_a_tenant_task_without_municipality_id_fails_loudly(tenant):
    with pytest.raises(MissingMunicipalityError, match="municipality_id="):
        tenant_departments_task.apply(kwargs={})


def test_a_programming_error_fails_once(tenant, worker_semantics):
    result = tenant_raises_task.apply(
        kwargs={"municipality_id": tenant.municipality.pk, "error": "type"}
    )
    assert result.failed()
    assert calls == ["type"]


def test_an_operational_error_is_retried(tenant, worker_semantics):
    result = tenant_raises_task.apply(
        kwargs={"municipality_id": tenant.municipality.pk, "error": "operational"}
    )
    assert result.failed()
    assert calls == ["operational"] * (1 + 3)


def _project_tasks():
    modules = (
        "accounts.",
        "invoices.",
        "municipality.",
        "partners.",
        "peppol.",
        "procurement.",
    )
    return [
        task for name, task in sorted(app.tasks.items()) if name.startswith(modules)
    ]


def test_every_task_taking_municipality_id_is_a_tenant_task():
    tasks = _project_tasks()
    assert tasks, "the project's tasks are not registered"
    for task in tasks:
        takes_municipality = "municipality_id" in inspect.signature(task.run).parameters
        assert isinstance(task, TenantTask) == takes_municipality, task.name


def test_no_task_retries_every_exception():
    for task in _project_tasks():
        for error in getattr(task, "autoretry_for", ()):
            assert not issubclass(Exception, error), task.name
