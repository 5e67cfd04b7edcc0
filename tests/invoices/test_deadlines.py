"""Payment deadlines under 支払遅延防止法 (jp-invoice-law.md §4.2–4.3)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import Invoice, ReturnReason, ReturnSeverity
from invoices.services.decisions import invoice_return
from invoices.services.drafts import invoice_copy
from invoices.services.issue import invoice_issue

pytestmark = pytest.mark.django_db


def test_deadline_is_30_days_from_receipt_by_default(issued_invoice):
    received = timezone.localdate(issued_invoice.received_at)
    assert issued_invoice.payment_deadline == received + timedelta(days=30)


def test_deadline_days_are_the_municipalitys_setting(tenant, connection, supplier_user):
    from tests.factories import make_invoice

    with scopes_disabled():
        tenant.municipality.payment_days = 20
        tenant.municipality.save()
        invoice = make_invoice(connection=connection, actor=supplier_user)
    assert invoice.payment_deadline == timezone.localdate() + timedelta(days=20)


def _returned_days_ago(invoice, staff, severity, days):
    with scopes_disabled():
        returned = invoice_return(
            invoice=invoice,
            actor=staff,
            reason=ReturnReason.AMOUNT,
            explanation="数量が違います。",
            severity=severity,
        )
        # The return happened ``days`` ago; the deadline was set back then.
        Invoice.objects.filter(pk=returned.pk).update(
            returned_at=timezone.now() - timedelta(days=days),
            payment_deadline=timezone.localdate() + timedelta(days=30 - days - 2),
        )
        return Invoice.objects.get(pk=returned.pk)


def _correct(invoice, supplier_user):
    with scopes_disabled():
        draft = invoice_copy(invoice=invoice, actor=supplier_user, corrects=True)
        return invoice_issue(invoice=draft, actor=supplier_user)


def test_minor_error_pauses_the_clock_from_return_to_resubmission(
    tenant, issued_invoice, supplier_user
):
    returned = _returned_days_ago(
        issued_invoice, tenant.department_staff, ReturnSeverity.MINOR, days=5
    )
    correction = _correct(returned, supplier_user)
    assert correction.payment_deadline == returned.payment_deadline + timedelta(days=5)


def test_serious_error_restarts_the_clock_at_resubmission(
    tenant, issued_invoice, supplier_user
):
    returned = _returned_days_ago(
        issued_invoice, tenant.department_staff, ReturnSeverity.SERIOUS, days=5
    )
    correction = _correct(returned, supplier_user)
    assert correction.payment_deadline == timezone.localdate() + timedelta(days=30)
