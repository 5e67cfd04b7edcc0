"""Supplier tasks enter the scope of the supplier's municipalities in one
place (SupplierTask), as the tenancy middleware does for its pages."""

import inspect

import pytest
from django_scopes import scopes_disabled

from config.celery_app import app
from municipality.models import Department
from partners.supplier_tasks import MissingSupplierError, SupplierTask
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@app.task(base=SupplierTask, name="tests.supplier_departments")
def supplier_departments_task(*, supplier_id: int) -> list[int]:
    # Department is scoped: outside a scope this raises ScopeError.
    return sorted(Department.objects.values_list("pk", flat=True))


def test_a_supplier_task_runs_in_the_scope_of_its_municipalities(
    tenant, other_tenant, supplier_user, other_supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    result = supplier_departments_task.delay(supplier_id=supplier.pk)
    # Every department of the municipality it works with; none elsewhere.
    assert result.get() == sorted([tenant.department.pk, tenant.other_department.pk])
    with scopes_disabled():
        ConnectionFactory(supplier=supplier, department=other_tenant.department)
    assert set(supplier_departments_task.delay(supplier_id=supplier.pk).get()) == {
        tenant.department.pk,
        tenant.other_department.pk,
        other_tenant.department.pk,
        other_tenant.other_department.pk,
    }


def test_a_supplier_task_without_supplier_id_fails_loudly(tenant):
    with pytest.raises(MissingSupplierError, match="supplier_id="):
        supplier_departments_task.apply(kwargs={})


def test_every_task_taking_supplier_id_is_a_supplier_task():
    app.loader.import_default_modules()  # the apps' tasks modules
    modules = ("accounts.", "invoices.", "municipality.", "partners.", "peppol.")
    tasks = [task for name, task in app.tasks.items() if name.startswith(modules)]
    assert any(isinstance(task, SupplierTask) for task in tasks)
    for task in tasks:
        takes_supplier = "supplier_id" in inspect.signature(task.run).parameters
        assert isinstance(task, SupplierTask) == takes_supplier, task.name
