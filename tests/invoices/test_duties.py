"""Separation of duties on the department's side: a staff member who
belongs to the issuing supplier (any role) may read its invoice, but does
not open it and may not return or approve it — through the pages and
through the services alike; a colleague who does not belong to it still
can."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.duties import DutyConflictError, invoice_in_conflict
from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.services.decisions import (
    invoice_approve,
    invoice_return,
    invoice_view_record,
)
from municipality.models import StaffRole
from partners.models import SupplierRole
from tests.factories import (
    StaffMembershipFactory,
    SupplierMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REFUSAL = "この請求書の発行元（取引先 {supplier}）に所属しているため"
# Confirmed (the confirmation step's field): without it nothing would act.
RETURN = {
    "reason": "amount",
    "explanation": "単価が契約と異なります。契約書の単価で再発行してください。",
    "severity": "minor",
    "confirmed": "1",
}


def _approve_data():
    return {"inspection_date": timezone.localdate().isoformat(), "confirmed": "1"}


@pytest.fixture
def insider(tenant, connection):
    """Department staff of the invoice's department who is also a clerk of
    the issuing supplier."""
    membership = SupplierMembershipFactory(
        supplier=connection.supplier, role=SupplierRole.CLERK
    )
    StaffMembershipFactory(
        user=membership.user,
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    )
    return membership.user


@pytest.fixture
def opened_invoice(tenant, issued_invoice):
    with scopes_disabled():
        return invoice_view_record(
            invoice=issued_invoice, actor=tenant.department_staff
        )


def _url(name, invoice):
    return reverse(f"city:{name}", args=[invoice.municipality.slug, invoice.pk])


def _fresh(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def _events(invoice):
    with scopes_disabled():
        return list(
            InvoiceEvent.objects.filter(invoice=invoice).values_list("kind", flat=True)
        )


def _refusal(invoice):
    return REFUSAL.format(supplier=invoice.supplier.legal_name)


# Opening


def test_the_insider_reads_the_invoice_but_does_not_open_it(
    client, tenant, issued_invoice, insider, django_capture_on_commit_callbacks
):
    client.force_login(insider)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(_url("invoice", issued_invoice))

    assert response.status_code == 200
    page = response.content.decode()
    assert _refusal(issued_invoice) in page
    assert "承認する" not in page
    assert "差し戻す" not in page
    invoice = _fresh(issued_invoice)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.opened_by is None
    assert EventKind.OPENED not in _events(invoice)
    assert _events(invoice)[-1] == EventKind.VIEWED  # the look is on record
    assert mail.outbox == []  # the supplier is not told "opened"

    # The department still finds it unopened, and a colleague opens it.
    client.force_login(tenant.department_staff)
    page = client.get(_url("invoice", issued_invoice)).content.decode()
    assert _fresh(issued_invoice).opened_by == tenant.department_staff
    assert "承認する" in page
    assert "所属しているため" not in page


def test_the_service_does_not_let_the_insider_open(tenant, issued_invoice, insider):
    with scopes_disabled():
        invoice = invoice_view_record(invoice=issued_invoice, actor=insider, opens=True)

    assert invoice.status == InvoiceStatus.ISSUED
    assert _fresh(invoice).opened_at is None
    assert _events(invoice).count(EventKind.OPENED) == 0
    assert _events(invoice)[-1] == EventKind.VIEWED


# Returning and approving through the pages


@pytest.mark.parametrize("name", ["invoice_return", "invoice_approve"])
@pytest.mark.parametrize("state", ["issued", "opened"])
def test_the_insider_is_refused_on_the_page_and_nothing_changes(
    client, tenant, issued_invoice, insider, name, state
):
    if state == "opened":
        with scopes_disabled():
            invoice_view_record(invoice=issued_invoice, actor=tenant.department_staff)
    before = _fresh(issued_invoice)
    events = _events(issued_invoice)
    client.force_login(insider)
    mail.outbox.clear()
    data = RETURN if name == "invoice_return" else _approve_data()

    response = client.post(_url(name, issued_invoice), data, follow=True)

    assert response.redirect_chain[0] == (_url("invoice", issued_invoice), 302)
    page = response.content.decode()
    assert _refusal(issued_invoice) in page
    assert "開封・差戻し・承認はできません" in page
    invoice = _fresh(issued_invoice)
    assert invoice.status == before.status
    assert (invoice.return_reason, invoice.inspection_date) == ("", None)
    # Only the page shown after the refusal is recorded, as a view.
    assert _events(invoice)[: len(events)] == events
    assert set(_events(invoice)[len(events) :]) <= {EventKind.VIEWED}
    assert mail.outbox == []


def test_a_colleague_belonging_to_another_supplier_still_approves(
    client, tenant, opened_invoice, connection
):
    colleague = StaffMembershipFactory(
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    ).user
    SupplierMembershipFactory(user=colleague)  # of some other supplier
    client.force_login(colleague)

    page = client.get(_url("invoice", opened_invoice)).content.decode()
    assert "承認する" in page
    response = client.post(_url("invoice_approve", opened_invoice), _approve_data())

    assert response.status_code == 302
    assert _fresh(opened_invoice).status == InvoiceStatus.APPROVED


# Returning and approving through the services


def test_the_service_refuses_the_insiders_approval(tenant, opened_invoice, insider):
    events = _events(opened_invoice)

    with scopes_disabled(), pytest.raises(DutyConflictError) as excinfo:
        invoice_approve(
            invoice=opened_invoice,
            actor=insider,
            inspection_date=timezone.localdate(),
        )

    assert _refusal(opened_invoice) in " ".join(excinfo.value.messages)
    assert isinstance(excinfo.value, ValidationError)  # shown by every caller
    assert _fresh(opened_invoice).status == InvoiceStatus.OPENED
    assert _events(opened_invoice) == events


def test_the_service_refuses_the_insiders_return(tenant, issued_invoice, insider):
    events = _events(issued_invoice)

    with scopes_disabled(), pytest.raises(DutyConflictError) as excinfo:
        invoice_return(
            invoice=issued_invoice,
            actor=insider,
            reason=RETURN["reason"],
            explanation=RETURN["explanation"],
            severity=RETURN["severity"],
        )

    assert _refusal(issued_invoice) in " ".join(excinfo.value.messages)
    invoice = _fresh(issued_invoice)
    assert (invoice.status, invoice.opened_at) == (InvoiceStatus.ISSUED, None)
    assert _events(issued_invoice) == events


def test_any_role_at_the_supplier_counts_and_membership_is_global(
    tenant, other_tenant, issued_invoice, connection
):
    owner = SupplierMembershipFactory(
        supplier=connection.supplier, role=SupplierRole.OWNER
    ).user
    # Staff of another municipality only: still a member of the supplier.
    StaffMembershipFactory(user=owner, municipality=other_tenant.municipality)
    with scopes_disabled():
        assert invoice_in_conflict(actor=owner, invoice=issued_invoice)
        assert not invoice_in_conflict(actor=UserFactory(), invoice=issued_invoice)
        assert not invoice_in_conflict(actor=None, invoice=issued_invoice)
