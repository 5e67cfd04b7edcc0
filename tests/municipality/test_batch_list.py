"""The batch list's figures: how many invoices and their total, the same
whichever way the selector reads them (items while the batch is open,
payment notices once exported or paid, every item once cancelled)."""

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from municipality.models import BatchStatus
from municipality.treasury.selectors.batches import batch_list
from municipality.treasury.services.batch_moves import (
    batch_cancel,
    batch_export,
    batch_mark_paid,
)
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from municipality.treasury.views.batches import BatchListView
from tests.factories import payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db


def _filled(tenant, day_offset: int):
    batch = batch_create(
        municipality=tenant.municipality,
        payment_date=business_day_after(timezone.localdate(), days=day_offset),
        actor=tenant.treasury,
    )
    user_a, connection_a = make_supplier(tenant.department)
    user_b, connection_b = make_supplier(
        tenant.other_department, holder_kana="ﾕ)ﾍﾞﾂﾉｼﾖｳｶｲ"
    )
    invoices = [
        make_approved(tenant, user_a, connection_a),
        make_approved(tenant, user_a, connection_a),
        make_approved(tenant, user_b, connection_b),
    ]
    batch_add_invoices(
        batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )
    return batch, sum(i.total for i in invoices)


def test_each_status_shows_its_invoices_count_and_total(tenant):
    with scopes_disabled():
        make_settings(tenant.municipality)
        draft, draft_total = _filled(tenant, 1)
        exported, exported_total = _filled(tenant, 10)
        batch_export(batch=exported, actor=tenant.treasury)
        paid, paid_total = _filled(tenant, 20)
        batch_export(batch=paid, actor=tenant.treasury)
        payment_day_reached(paid)
        batch_mark_paid(batch=paid, actor=tenant.treasury)
        cancelled, cancelled_total = _filled(tenant, 30)
        batch_cancel(batch=cancelled, actor=tenant.treasury, reason="日付の誤り")
        empty = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate(), days=40),
            actor=tenant.treasury,
        )
        rows = {
            b.pk: (b.status, b.invoice_count, b.invoice_total)
            for b in batch_list(municipality=tenant.municipality)
        }
    assert rows == {
        draft.pk: (BatchStatus.DRAFT, 3, draft_total),
        exported.pk: (BatchStatus.EXPORTED, 3, exported_total),
        paid.pk: (BatchStatus.PAID, 3, paid_total),
        cancelled.pk: (BatchStatus.CANCELLED, 3, cancelled_total),
        empty.pk: (BatchStatus.DRAFT, 0, None),
    }


def test_the_list_pages_keep_the_order_and_each_batchs_figures(
    client, tenant, monkeypatch
):
    """Each page's batches are found first, then summed: the same rows and
    figures as the selector's, newest payment date first, page by page."""
    monkeypatch.setattr(BatchListView, "paginate_by", 2)
    with scopes_disabled():
        make_settings(tenant.municipality)
        for offset in (1, 10, 20):
            _filled(tenant, offset)
        expected = [
            (b.pk, b.invoice_count, b.invoice_total)
            for b in batch_list(municipality=tenant.municipality)
        ]
    client.force_login(tenant.treasury)
    url = f"/m/{tenant.municipality.slug}/treasury/batches/"
    shown = []
    for number in (1, 2):
        batches = client.get(url, {"page": number}).context["batches"]
        shown += [(b.pk, b.invoice_count, b.invoice_total) for b in batches]
    assert shown == expected
    assert [count for _, count, _ in shown] == [3, 3, 3]
