"""Separation of duties in the treasury and on the city admin's page: a
treasury user who belongs to a supplier cannot put its invoices in a
payment batch, nor approve, export or mark paid a batch paying it (through
the services and the pages), while a colleague can; the city admin sees
every staff member who belongs to a connected supplier as a conflict, in a
constant number of queries."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.duties import DutyConflictError
from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    StaffRole,
    TreasurySettings,
)
from municipality.treasury.services.batch_moves import (
    batch_approve,
    batch_cancel,
    batch_export,
    batch_mark_paid,
)
from municipality.treasury.services.batches import (
    batch_add_invoices,
    batch_create,
    batch_remove_invoice,
)
from partners.models import SupplierRole
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    payment_day_reached,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

PAYABLES = "/m/kanoya/treasury/payables/"


@pytest.fixture
def world(tenant):
    """Treasury settings, supplier A with two approved invoices, supplier B
    with one, a draft batch by the treasury, and ``insider``: a second
    treasury user who is a clerk of supplier A."""
    with scopes_disabled():
        make_settings(tenant.municipality)
        user_a, connection_a = make_supplier(tenant.department)
        user_b, connection_b = make_supplier(tenant.department)
        a1, a2 = (make_approved(tenant, user_a, connection_a) for _ in range(2))
        b1 = make_approved(tenant, user_b, connection_b)
        batch = batch_create(
            municipality=tenant.municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=tenant.treasury,
        )
        insider = SupplierMembershipFactory(
            supplier=connection_a.supplier, role=SupplierRole.CLERK
        ).user
        StaffMembershipFactory(
            user=insider, municipality=tenant.municipality, role=StaffRole.TREASURY
        )
    return {
        "a1": a1,
        "a2": a2,
        "b1": b1,
        "supplier_a": connection_a.supplier,
        "batch": batch,
        "insider": insider,
    }


def _add(world, *names, actor):
    with scopes_disabled():
        return batch_add_invoices(
            batch=world["batch"],
            invoice_ids=[world[name].pk for name in names],
            actor=actor,
        )


def _batch(world) -> PaymentBatch:
    with scopes_disabled():
        return PaymentBatch.objects.get(pk=world["batch"].pk)


def _items(world) -> set[int]:
    with scopes_disabled():
        return set(
            PaymentBatchItem.objects.filter(
                batch=world["batch"], active=True
            ).values_list("invoice_id", flat=True)
        )


def _steps(world, step) -> int:
    with scopes_disabled():
        return InvoiceEvent.objects.filter(
            kind=EventKind.BATCH, data__step=step
        ).count()


def _statuses(world) -> set[str]:
    with scopes_disabled():
        return set(
            Invoice.objects.filter(
                pk__in=[world[n].pk for n in ("a1", "a2", "b1")]
            ).values_list("status", flat=True)
        )


def _four_eyes():
    # A batch keeps the rule it was created under, so the world's batch is
    # made as if four-eyes had been on then.
    with scopes_disabled():
        TreasurySettings.objects.update(four_eyes=True)
        PaymentBatch.objects.update(four_eyes=True)


def _page(client, world) -> str:
    url = f"/m/kanoya/treasury/batches/{world['batch'].pk}/"
    return client.get(url).content.decode()


def _post(client, world, action):
    """The action's button, confirmed (paid asks first)."""
    url = f"/m/kanoya/treasury/batches/{world['batch'].pk}/{action}/"
    return client.post(url, {"confirmed": "1"})


# Adding to a batch --------------------------------------------------------------------


def test_the_insider_cannot_add_their_suppliers_invoice(tenant, world):
    insider, a1 = world["insider"], world["a1"]

    with pytest.raises(ValidationError) as excinfo:
        _add(world, "a1", "b1", actor=insider)

    (problem,) = excinfo.value.messages
    assert f"請求書 {a1.number}（受付番号 {a1.receipt_number}）" in problem
    assert f"あなたが所属する取引先 {world['supplier_a'].legal_name}" in problem
    assert "支払バッチに入れられません" in problem
    # All or nothing: the other invoice is not added either.
    assert _items(world) == set()
    assert _steps(world, "added") == 0

    # The insider may add another supplier's invoice; a colleague adds A's.
    _add(world, "b1", actor=insider)
    _add(world, "a1", actor=tenant.treasury)
    assert _items(world) == {world["b1"].pk, a1.pk}


def test_the_payables_page_refuses_the_insider_and_changes_nothing(
    client, tenant, world
):
    a1, b1, batch = world["a1"], world["b1"], world["batch"]
    client.force_login(world["insider"])

    page = client.get(f"{PAYABLES}?batch={batch.pk}").content.decode()
    assert f'id="pick-{a1.pk}"' not in page
    assert f'id="pick-{b1.pk}"' in page
    assert "利益相反" in page
    assert "あなたが所属する取引先の請求書です" in page

    response = client.post(
        PAYABLES, {"batch": batch.pk, "invoices": [a1.pk]}, follow=True
    )
    assert "支払バッチに入れられません" in response.content.decode()
    assert _items(world) == set()

    # A colleague who belongs to no supplier sees no conflict.
    client.force_login(tenant.treasury)
    page = client.get(PAYABLES).content.decode()
    assert f'id="pick-{a1.pk}"' in page
    assert "利益相反" not in page


# Approving the batch (four eyes) ------------------------------------------------------


def test_the_insider_cannot_be_the_second_pair_of_eyes(tenant, world):
    _four_eyes()
    _add(world, "a1", "b1", actor=tenant.treasury)

    with scopes_disabled(), pytest.raises(DutyConflictError) as excinfo:
        batch_approve(batch=world["batch"], actor=world["insider"])

    (problem,) = excinfo.value.messages
    assert f"取引先 {world['supplier_a'].legal_name} の請求書 {world['a1'].number}" in (
        problem
    )
    assert "承認できません" in problem
    batch = _batch(world)
    assert (batch.status, batch.approved_by) == (BatchStatus.DRAFT, None)
    assert _steps(world, "approved") == 0

    # Without A's invoice the insider may approve.
    with scopes_disabled():
        batch_remove_invoice(
            batch=batch, invoice_id=world["a1"].pk, actor=tenant.treasury
        )
        batch_approve(batch=batch, actor=world["insider"])
    assert _batch(world).status == BatchStatus.APPROVED


def test_the_batch_page_tells_the_insider_and_refuses_the_approval(
    client, tenant, world
):
    _four_eyes()
    _add(world, "a1", "b1", actor=tenant.treasury)
    client.force_login(world["insider"])

    page = _page(client, world)
    assert "あなたが所属する取引先" in page
    assert world["supplier_a"].legal_name in page
    assert "承認する</button>" not in page
    response = _post(client, world, "approve")
    assert response.status_code == 200
    assert "承認できません（職務の分離）" in response.content.decode()
    assert _batch(world).status == BatchStatus.DRAFT

    # A colleague who belongs to no supplier approves.
    colleague = StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.TREASURY
    ).user
    client.force_login(colleague)
    assert "承認する</button>" in _page(client, world)
    assert _post(client, world, "approve").status_code == 302
    assert _batch(world).status == BatchStatus.APPROVED


# Export and payment -------------------------------------------------------------------


def test_the_insider_cannot_export_a_batch_paying_their_supplier(client, tenant, world):
    _add(world, "a1", "b1", actor=tenant.treasury)

    with scopes_disabled(), pytest.raises(DutyConflictError, match="振込データを"):
        batch_export(batch=world["batch"], actor=world["insider"])
    client.force_login(world["insider"])
    assert "振込データを作成</button>" not in _page(client, world)
    response = _post(client, world, "export")
    assert "振込データを作成できません（職務の分離）" in response.content.decode()

    batch = _batch(world)
    assert (batch.status, batch.zengin_file.name) == (BatchStatus.DRAFT, "")
    with scopes_disabled():
        assert not PaymentNotice.objects.exists()
    assert _statuses(world) == {InvoiceStatus.APPROVED}

    with scopes_disabled():
        batch_export(batch=batch, actor=tenant.treasury)
    assert _batch(world).status == BatchStatus.EXPORTED


def test_the_insider_cannot_mark_paid_but_may_cancel(
    client, tenant, world, django_capture_on_commit_callbacks
):
    _add(world, "a1", "b1", actor=tenant.treasury)
    with scopes_disabled():
        batch_export(batch=world["batch"], actor=tenant.treasury)

    payment_day_reached(world["batch"])
    with scopes_disabled(), pytest.raises(DutyConflictError, match="支払済に"):
        batch_mark_paid(batch=world["batch"], actor=world["insider"])
    client.force_login(world["insider"])
    assert "支払済にする</button>" not in _page(client, world)
    response = _post(client, world, "paid")
    assert "支払済にできません（職務の分離）" in response.content.decode()
    assert _batch(world).status == BatchStatus.EXPORTED
    assert InvoiceStatus.PAID not in _statuses(world)

    # Stopping a payment to one's own supplier stays possible.
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        batch_cancel(batch=world["batch"], actor=world["insider"], reason="口座の誤り")
    assert _batch(world).status == BatchStatus.CANCELLED
    assert InvoiceStatus.SCHEDULED not in _statuses(world)


def test_a_colleague_marks_paid(tenant, world, django_capture_on_commit_callbacks):
    _add(world, "a1", actor=tenant.treasury)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        batch_export(batch=world["batch"], actor=tenant.treasury)
        payment_day_reached(_batch(world))
        batch_mark_paid(batch=_batch(world), actor=tenant.treasury)
    assert _batch(world).status == BatchStatus.PAID


# The city admin's staff list ----------------------------------------------------------


MANAGE = "/m/kanoya/manage/"


def test_the_staff_list_marks_staff_who_belong_to_a_connected_supplier(
    client, tenant, world
):
    # A department user who belongs to a supplier not connected here.
    outsider = StaffMembershipFactory(
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    ).user
    SupplierMembershipFactory(user=outsider, supplier=SupplierFactory())
    client.force_login(tenant.city_admin)

    response = client.get(MANAGE)

    assert response.status_code == 200
    page = response.content.decode()
    marker = f"利益相反: 取引先 {world['supplier_a'].legal_name} の利用者"
    assert page.count(marker) == 1
    row = page.split(world["insider"].email)[0].rsplit("<tr>", 1)[1]
    assert marker in row
    assert page.count("利益相反: 取引先") == 1  # nobody else
    assert "役割の見直しが必要か確認してください" in page


def test_the_staff_list_marks_every_role_of_the_person(client, tenant, world):
    StaffMembershipFactory(
        user=world["insider"],
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    )
    client.force_login(tenant.city_admin)

    page = client.get(MANAGE).content.decode()

    assert page.count(f"取引先 {world['supplier_a'].legal_name} の利用者") == 2


def _grow_conflicted_staff(tenant, n):
    with scopes_disabled():
        for _ in range(n):
            membership = SupplierMembershipFactory()
            department = DepartmentFactory(municipality=tenant.municipality)
            # Two connections here: still one marker per role.
            ConnectionFactory(supplier=membership.supplier, department=department)
            ConnectionFactory(
                supplier=membership.supplier, department=tenant.department
            )
            StaffMembershipFactory(
                user=membership.user,
                municipality=tenant.municipality,
                role=StaffRole.DEPARTMENT,
                departments=[department],
            )


def _queries(client, url) -> int:
    with CaptureQueriesContext(db_connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_staff_list_uses_a_constant_number_of_queries(client, tenant):
    client.force_login(tenant.city_admin)
    _grow_conflicted_staff(tenant, 2)
    few = _queries(client, MANAGE)
    _grow_conflicted_staff(tenant, 20)
    many = _queries(client, MANAGE)
    assert few == many
    assert client.get(MANAGE).content.decode().count("利益相反: 取引先") == 22
