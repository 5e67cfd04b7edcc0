"""Shared fixtures: two municipalities and two suppliers, each with every
role, so that every test can check what must stay invisible.

Non-yield fixtures run with scopes disabled (as pretix's test suite does);
tests that exercise scoping enter the scope themselves or go through views.
"""

import inspect
import sys
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, settings as hypothesis_settings

from municipality.models import StaffRole
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    UserFactory,
)

# The machine is shared: an example slowed by another process's work is not
# a failure of the property (Hypothesis's default deadline is 200 ms).
hypothesis_settings.register_profile(
    "shared", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("shared")


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if inspect.isgeneratorfunction(fixturedef.func):
        yield
    else:
        with scopes_disabled():
            yield


@pytest.fixture(scope="session", autouse=True)
def _no_session_outlives_the_suite(django_db_setup, django_db_blocker):
    """PostgreSQL refuses to drop a test database still in use, and a
    thread's connection (a live server's, a pool's) can outlive its test by
    the moment it takes to be collected: such sessions are ended before the
    drop, and named on the terminal (past pytest's capture) so that a leak
    shows."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, left(query, 200), pg_terminate_backend(pid)"
            " FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for pid, state, query, _ in cursor.fetchall():
            sys.__stderr__.write(
                f"\nA database session outlived the tests: pid {pid} ({state})"
                f" {query}\n"
            )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with no rate-limit counts and no used two-factor
    codes left by another (user ids repeat once a test rolls back)."""
    cache.clear()


@dataclass
class Tenant:
    """One municipality with two departments and a user for every role."""

    municipality: object
    department: object
    other_department: object
    department_staff: object
    treasury: object
    city_admin: object


def make_tenant(**municipality_kwargs) -> Tenant:
    municipality = MunicipalityFactory(**municipality_kwargs)
    department = DepartmentFactory(municipality=municipality)
    other_department = DepartmentFactory(municipality=municipality)
    department_staff = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.DEPARTMENT, departments=[department]
    ).user
    treasury = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.TREASURY
    ).user
    city_admin = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.CITY_ADMIN
    ).user
    return Tenant(
        municipality,
        department,
        other_department,
        department_staff,
        treasury,
        city_admin,
    )


@pytest.fixture
def tenant(db):
    return make_tenant()


@pytest.fixture
def other_tenant(db):
    return make_tenant(
        name="霧島市",
        name_kana="キリシマシ",
        local_government_code="462187",
        corporate_number="8000020462187",
        slug="kirishima",
        address="鹿児島県霧島市国分中央三丁目45番1号",
    )


@pytest.fixture
def supplier_user(tenant):
    """Owner of a supplier connected to ``tenant.department``."""
    membership = SupplierMembershipFactory()
    ConnectionFactory(supplier=membership.supplier, department=tenant.department)
    return membership.user


@pytest.fixture
def other_supplier_user(other_tenant):
    """Owner of another supplier, connected to ``other_tenant.department``."""
    membership = SupplierMembershipFactory()
    ConnectionFactory(supplier=membership.supplier, department=other_tenant.department)
    return membership.user


@pytest.fixture
def supplier_factory():
    return SupplierFactory


@pytest.fixture
def user_factory():
    return UserFactory
