"""Two staff members acting on one invoice at the same moment end in one
consistent state. Needs real row locks, so PostgreSQL only."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.services.decisions import (
    invoice_approve,
    invoice_return,
    invoice_view_record,
)
from invoices.services.drafts import invoice_correct
from invoices.workflow import TransitionError
from municipality.models import StaffRole
from tests.factories import StaffMembershipFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL (set DATABASE_URL)",
    ),
]


def test_simultaneous_approve_and_return_end_in_one_state(tenant, issued_invoice):
    colleague = StaffMembershipFactory(
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    ).user
    with scopes_disabled():
        invoice_view_record(invoice=issued_invoice, actor=tenant.department_staff)
    actions = {
        "approve": lambda: invoice_approve(
            invoice=issued_invoice,
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
        ),
        "return": lambda: invoice_return(
            invoice=issued_invoice,
            actor=colleague,
            reason="amount",
            explanation="単価の誤り",
            severity="minor",
        ),
    }
    barrier = threading.Barrier(len(actions))

    def run(action):
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                action()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        futures = {name: pool.submit(run, action) for name, action in actions.items()}
    errors = {name: future.exception(timeout=30) for name, future in futures.items()}

    succeeded = [name for name, error in errors.items() if error is None]
    assert len(succeeded) == 1, errors
    (refused,) = (error for error in errors.values() if error is not None)
    assert isinstance(refused, TransitionError), errors
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=issued_invoice.pk)
        kinds = list(
            InvoiceEvent.objects.filter(
                invoice=invoice, kind__in=[EventKind.APPROVED, EventKind.RETURNED]
            ).values_list("kind", flat=True)
        )
    expected = {
        "approve": (InvoiceStatus.APPROVED, EventKind.APPROVED),
        "return": (InvoiceStatus.RETURNED, EventKind.RETURNED),
    }[succeeded[0]]
    assert (invoice.status, kinds) == (expected[0], [expected[1]])


def test_two_simultaneous_corrections_make_one_draft(
    tenant, issued_invoice, supplier_user
):
    with scopes_disabled():
        returned = invoice_return(
            invoice=issued_invoice,
            actor=tenant.department_staff,
            reason="amount",
            explanation="単価の誤り",
            severity="minor",
        )
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                return invoice_correct(invoice=returned, actor=supplier_user)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run) for _ in range(2)]
    results = [future.result(timeout=30) for future in futures]

    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].pk == results[1][0].pk
    with scopes_disabled():
        assert returned.corrections.count() == 1
