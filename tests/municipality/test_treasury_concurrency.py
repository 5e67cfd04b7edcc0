"""Two treasury users adding one invoice to two batches at the same moment:
the database constraint lets one succeed, the other gets a message. Needs
real concurrent transactions, so PostgreSQL only."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from municipality.models import PaymentBatchItem, StaffRole
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.factories import StaffMembershipFactory
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent transactions need PostgreSQL (set DATABASE_URL)",
    ),
]


def test_one_invoice_added_to_two_batches_at_once_lands_in_one(tenant):
    colleague = StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.TREASURY
    ).user
    payday = business_day_after(timezone.localdate())
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, supplier_connection = make_supplier(tenant.department)
        invoice = make_approved(tenant, user, supplier_connection)
        batches = [
            batch_create(
                municipality=tenant.municipality, payment_date=payday, actor=actor
            )
            for actor in (tenant.treasury, colleague)
        ]
    barrier = threading.Barrier(2)

    def add(batch, actor):
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=actor)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(add, batch, actor)
            for batch, actor in zip(batches, (tenant.treasury, colleague), strict=True)
        ]
    errors = [future.exception(timeout=30) for future in futures]

    assert sum(error is None for error in errors) == 1, errors
    (refused,) = (error for error in errors if error is not None)
    assert isinstance(refused, ValidationError), errors
    assert "すでに別の支払バッチ" in refused.messages[0]
    with scopes_disabled():
        assert (
            PaymentBatchItem.objects.filter(invoice=invoice, active=True).count() == 1
        )
