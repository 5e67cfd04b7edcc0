"""``benchmarks/csv_import.py`` at a small size: importing and issuing runs
the same number of queries and queues a PDF task per ``PDF_TASK_CHUNK``
invoices, however many the file holds; and it keeps within a generous
multiple of the floor (``bulk_create`` of the same rows)."""

import math
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from benchmarks.csv_import import bulk_floor, make_file
from invoices.audit_verify import chain_verify
from invoices.csv_import import csv_import, csv_parse
from invoices.services import pdf as pdf_services
from invoices.tasks import invoices_render_pdfs_task
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    SupplierMembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Three suppliers connected to two departments of one city."""
    with scopes_disabled():
        municipality = MunicipalityFactory()
        departments = DepartmentFactory.create_batch(2, municipality=municipality)
        memberships = SupplierMembershipFactory.create_batch(3)
        for membership in memberships:
            for department in departments:
                ConnectionFactory(supplier=membership.supplier, department=department)
    return memberships, [d.code for d in departments]


def test_issuing_a_file_queues_a_task_per_chunk_in_constant_queries(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    memberships, codes = world
    sent = []
    monkeypatch.setattr(
        invoices_render_pdfs_task,
        "apply_async",
        lambda args=(), kwargs=None, **options: sent.append(kwargs["invoice_ids"]),
    )

    def issue(membership, invoices: int) -> int:
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks(execute=True),
        ):
            created = csv_import(
                data=make_file(invoices, codes),
                supplier=membership.supplier,
                actor=membership.user,
                issue=True,
            )
        assert len(created) == invoices
        return len(captured)

    issue(memberships[0], 50)  # the city's receipt counter is created
    sent.clear()
    few = issue(memberships[1], 50)
    assert len(sent) == math.ceil(50 / pdf_services.PDF_TASK_CHUNK)
    sent.clear()
    assert issue(memberships[2], 100) == few
    assert len(sent) == math.ceil(100 / pdf_services.PDF_TASK_CHUNK)
    assert max(len(ids) for ids in sent) == pdf_services.PDF_TASK_CHUNK
    # The issued events, written with COPY, are on an intact chain.
    assert chain_verify() is None


def test_issuing_keeps_within_a_multiple_of_bulk_create(
    world, django_capture_on_commit_callbacks
):
    """Measured at 2,000 invoices: see README. Here a generous bound for a
    shared machine and a small file (fixed costs weigh more)."""
    memberships, codes = world
    data = make_file(100, codes)
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=False):
        csv_import(
            data=data,
            supplier=memberships[0].supplier,
            actor=memberships[0].user,
            issue=True,
        )
    imported = time.perf_counter() - started
    parsed = csv_parse(data=data, supplier=memberships[2].supplier)
    started = time.perf_counter()
    bulk_floor(parsed, memberships[2].supplier, memberships[2].user)
    floor = time.perf_counter() - started
    assert imported < 30 * floor
