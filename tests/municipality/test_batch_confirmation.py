"""Marking a payment batch paid and cancelling it ask first
(invoices/views/confirm.py): GET shows the batch, its payment date, its
invoices and totals and the consequence; a POST without the confirmation
field changes nothing; only the confirmed POST acts."""

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import Invoice, InvoiceStatus
from municipality.models import BatchStatus, PaymentBatch, StaffRole
from municipality.treasury.services.batch_moves import batch_export
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.factories import StaffMembershipFactory, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

CONFIRM_FIELD = '<input type="hidden" name="confirmed" value="1">'


@pytest.fixture
def batch(tenant):
    """An exported batch of two approved invoices, its payment day reached."""
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        invoices = [make_approved(tenant, user, connection) for _ in range(2)]
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
        )
        batch_export(batch=batch, actor=tenant.treasury)
    mail.outbox.clear()
    return payment_day_reached(batch)


@pytest.fixture
def treasury(client, tenant):
    client.force_login(tenant.treasury)
    return client


def _url(batch, action=""):
    base = f"/m/kanoya/treasury/batches/{batch.pk}/"
    return f"{base}{action}/" if action else base


def _status(batch):
    with scopes_disabled():
        return PaymentBatch.objects.get(pk=batch.pk).status


def _invoice_statuses(batch):
    with scopes_disabled():
        return set(
            Invoice.objects.filter(batch_items__batch=batch).values_list(
                "status", flat=True
            )
        )


def _assert_summary(page, batch):
    with scopes_disabled():
        invoices = list(Invoice.objects.filter(batch_items__batch=batch))
    assert batch.number in page
    assert "2 件" in page
    for invoice in invoices:
        assert invoice.number in page
    total = sum(invoice.total for invoice in invoices)
    assert f"{total:,.0f}円" in page
    assert CONFIRM_FIELD in page


def test_paid_get_shows_the_batch_and_the_consequence(treasury, batch):
    response = treasury.get(_url(batch, "paid"))

    assert response.status_code == 200
    page = response.content.decode()
    _assert_summary(page, batch)
    assert "支払通知（PDF）をメールで送ります。元に戻せません。" in page
    assert "支払済を確定する" in page
    assert _status(batch) == BatchStatus.EXPORTED


def test_paid_post_without_confirmation_changes_nothing(treasury, batch):
    response = treasury.post(_url(batch, "paid"))

    assert response.status_code == 200
    _assert_summary(response.content.decode(), batch)
    assert _status(batch) == BatchStatus.EXPORTED
    assert _invoice_statuses(batch) == {InvoiceStatus.SCHEDULED}
    assert mail.outbox == []


def test_paid_post_with_confirmation_pays(
    treasury, batch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = treasury.post(_url(batch, "paid"), {"confirmed": "1"})

    assert response["Location"] == _url(batch)
    assert _status(batch) == BatchStatus.PAID
    assert _invoice_statuses(batch) == {InvoiceStatus.PAID}
    # A second confirmed click is refused and changes nothing.
    again = treasury.post(_url(batch, "paid"), {"confirmed": "1"})
    assert "支払済にできません" in again.content.decode()


def test_cancel_get_asks_for_the_reason(treasury, batch):
    response = treasury.get(_url(batch, "cancel"))

    assert response.status_code == 200
    page = response.content.decode()
    _assert_summary(page, batch)
    assert 'name="reason"' in page
    assert "金融機関には送信しないでください" in page  # it was exported
    assert _status(batch) == BatchStatus.EXPORTED


def test_cancel_post_without_confirmation_shows_the_reason(treasury, batch):
    response = treasury.post(_url(batch, "cancel"), {"reason": "振込先の誤り"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "振込先の誤り" in page
    assert 'type="hidden" name="reason" value="振込先の誤り"' in page
    assert "取消を確定する" in page
    assert _status(batch) == BatchStatus.EXPORTED


def test_cancel_post_with_confirmation_cancels(treasury, batch):
    response = treasury.post(
        _url(batch, "cancel"), {"reason": "振込先の誤り", "confirmed": "1"}
    )

    assert response["Location"] == _url(batch)
    assert _status(batch) == BatchStatus.CANCELLED
    assert _invoice_statuses(batch) == {InvoiceStatus.APPROVED}


def test_asking_to_pay_a_batch_not_exported_explains_why_not(treasury, tenant, batch):
    with scopes_disabled():
        draft = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )

    response = treasury.get(_url(draft, "paid"), follow=True)

    assert response.redirect_chain == [(_url(draft), 302)]
    assert "支払済にできません" in response.content.decode()


def test_the_batch_page_marks_paid_and_cancel_for_the_dialog(treasury, batch):
    page = treasury.get(_url(batch)).content.decode()

    assert f'action="{_url(batch, "paid")}" data-confirm>' in page
    assert f'action="{_url(batch, "cancel")}" novalidate data-confirm>' in page


@pytest.fixture
def draft(tenant):
    """A draft batch of two approved invoices that needs a second person's
    approval (二重チェック), prepared by a colleague of ``tenant.treasury``."""
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        invoices = [make_approved(tenant, user, connection) for _ in range(2)]
        colleague = StaffMembershipFactory(
            municipality=tenant.municipality, role=StaffRole.TREASURY
        ).user
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=colleague,
        )
        PaymentBatch.objects.filter(pk=batch.pk).update(four_eyes=True)
        batch_add_invoices(
            batch=batch, invoice_ids=[i.pk for i in invoices], actor=colleague
        )
    return batch


def test_approve_get_shows_the_batch_and_the_consequence(treasury, draft):
    response = treasury.get(_url(draft, "approve"))

    assert response.status_code == 200
    page = response.content.decode()
    _assert_summary(page, draft)
    assert "このバッチは変更できなくなり" in page
    assert "承認を確定する" in page
    assert _status(draft) == BatchStatus.DRAFT


def test_approve_post_without_confirmation_changes_nothing(treasury, draft):
    response = treasury.post(_url(draft, "approve"))

    assert response.status_code == 200
    _assert_summary(response.content.decode(), draft)
    assert _status(draft) == BatchStatus.DRAFT


def test_approve_then_export_after_confirmation(treasury, draft):
    response = treasury.post(_url(draft, "approve"), {"confirmed": "1"})
    assert response["Location"] == _url(draft)
    assert _status(draft) == BatchStatus.APPROVED

    asked = treasury.post(_url(draft, "export"))
    page = asked.content.decode()
    _assert_summary(page, draft)
    assert "2 件の請求書が支払予定になり" in page
    assert "振込データの作成を確定する" in page
    assert _status(draft) == BatchStatus.APPROVED
    assert _invoice_statuses(draft) == {InvoiceStatus.APPROVED}

    response = treasury.post(_url(draft, "export"), {"confirmed": "1"})
    assert response["Location"] == _url(draft)
    assert _status(draft) == BatchStatus.EXPORTED
    assert _invoice_statuses(draft) == {InvoiceStatus.SCHEDULED}
    # A second confirmed click is refused and changes nothing.
    again = treasury.post(_url(draft, "export"), {"confirmed": "1"})
    assert "振込データを作成できません" in again.content.decode()


def test_the_preparer_is_not_asked_to_approve_their_own_batch(client, tenant, draft):
    with scopes_disabled():
        preparer = PaymentBatch.objects.get(pk=draft.pk).created_by
    client.force_login(preparer)

    response = client.get(_url(draft, "approve"), follow=True)

    assert response.redirect_chain == [(_url(draft), 302)]
    assert "自分で承認できません" in response.content.decode()
    assert _status(draft) == BatchStatus.DRAFT


def test_the_batch_page_marks_approve_and_export_for_the_dialog(treasury, draft):
    page = treasury.get(_url(draft)).content.decode()
    assert f'action="{_url(draft, "approve")}" data-confirm>' in page

    treasury.post(_url(draft, "approve"), {"confirmed": "1"})
    page = treasury.get(_url(draft)).content.decode()
    assert f'action="{_url(draft, "export")}" data-confirm>' in page
