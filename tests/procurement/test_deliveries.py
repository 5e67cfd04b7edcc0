"""Deliveries (納品), their inspection (検収) with the statutory deadline,
the 納品書 PDF, and the invoice drafted from inspected deliveries."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from invoices.services.issue import invoice_issue
from municipality.models import StaffRole
from procurement.models import (
    Delivery,
    DeliveryStatus,
    InvoiceOrder,
    OrderKind,
    OrderStatus,
)
from procurement.selectors import order_balance
from procurement.services.deliveries import (
    DeliveryLineInput,
    InspectionResult,
    delivery_inspect,
    delivery_record,
)
from procurement.services.invoicing import invoice_draft_from_deliveries
from procurement.workflow import DELIVERY_TRANSITIONS
from tests.factories import StaffMembershipFactory
from tests.procurement.conftest import make_order, order_day


def _city(tenant, name, **kwargs):
    return reverse(
        f"city:{name}", kwargs={"municipality_slug": tenant.municipality.slug, **kwargs}
    )


def _record(order, user, number, quantities, day=None):
    lines = list(order.lines.order_by("position"))
    return delivery_record(
        order=order,
        supplier=order.supplier,
        actor=user,
        number=number,
        delivered_on=day or timezone.localdate(),
        lines=[
            DeliveryLineInput(order_line=line, quantity=Decimal(q))
            for line, q in zip(lines, quantities, strict=False)
            if Decimal(q)
        ],
    )


def test_the_supplier_records_a_partial_delivery_on_screen(
    client, confirmed_order, supplier_user, django_capture_on_commit_callbacks
):
    line = confirmed_order.lines.order_by("position").first()
    client.force_login(supplier_user)
    url = reverse("supplier:delivery_new", kwargs={"pk": confirmed_order.pk})
    assert "今回納品した数量" in client.get(url).content.decode()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "number": "D-001",
                "delivered_on": today.strftime("%Y/%m/%d"),
                f"line_{line.pk}": "４",
            },
        )
    assert response.status_code == 302
    with scopes_disabled():
        delivery = Delivery.objects.get(number="D-001")
        assert delivery.lines.get().quantity == 4
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.inspection_deadline == today + timedelta(days=10)


def test_more_than_ordered_is_refused(client, confirmed_order, supplier_user):
    line = confirmed_order.lines.order_by("position").first()
    with scopes_disabled():
        _record(confirmed_order, supplier_user, "D-001", ["6"])
    client.force_login(supplier_user)
    response = client.post(
        reverse("supplier:delivery_new", kwargs={"pk": confirmed_order.pk}),
        {
            "number": "D-002",
            "delivered_on": timezone.localdate(),
            f"line_{line.pk}": "5",
        },
    )
    assert "発注数量の残りは 4 です" in response.content.decode()


def test_no_delivery_before_the_order_is_confirmed(
    tenant, connection, budget_code, supplier_user
):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
        )
        with pytest.raises(ValidationError) as caught:
            _record(order, supplier_user, "D-001", ["1"])
    assert "請書を出した" in str(caught.value)


def test_the_delivery_note_pdf_is_rendered(
    client, confirmed_order, supplier_user, tenant
):
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["2", "24"])
    client.force_login(supplier_user)
    response = client.get(reverse("supplier:delivery_pdf", kwargs={"pk": delivery.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(tenant.department_staff)
    response = client.get(_city(tenant, "delivery_pdf", pk=delivery.pk))
    assert response.content.startswith(b"%PDF")


def test_staff_inspect_with_a_corrected_quantity_through_the_confirmation(
    client, confirmed_order, supplier_user, tenant
):
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["5"])
        line = delivery.lines.get()
    client.force_login(tenant.department_staff)
    page = client.get(_city(tenant, "inspections")).content.decode()
    assert "D-001" in page
    assert delivery.inspection_deadline.strftime("%Y/%m/%d") in page
    url = _city(tenant, "delivery_inspect", pk=delivery.pk)
    data = {
        "result": InspectionResult.CORRECTED,
        "inspected_on": timezone.localdate().isoformat(),
        "reason": "1箱破損",
        f"accepted_{line.pk}": "4",
    }
    client.post(url, data)  # the confirmation page only
    with scopes_disabled():
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    client.post(url, {**data, "confirmed": "1"})
    with scopes_disabled():
        delivery.refresh_from_db()
        line.refresh_from_db()
    assert delivery.status == DeliveryStatus.ACCEPTED
    assert delivery.corrected
    assert delivery.inspected_by == tenant.department_staff
    assert line.accepted_quantity == 4
    assert delivery.late_days == 0


def test_a_late_inspection_is_counted(
    client, tenant, connection, budget_code, supplier_user
):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            confirm=True,
            supplier_user=supplier_user,
        )
        delivery = _record(order, supplier_user, "D-001", ["1"], day=order_day())
        delivery = delivery_inspect(
            delivery=delivery,
            actor=tenant.department_staff,
            result=InspectionResult.ACCEPTED,
            inspected_on=timezone.localdate(),
        )
    # Delivered 20 days ago, deadline after 10: 10 days late.
    assert delivery.late_days == 10
    client.force_login(tenant.treasury)
    page = client.get(_city(tenant, "inspections")).content.decode()
    assert 'data-testid="late-count">1<' in page


def test_a_delivery_is_listed_for_its_orders_department_only(
    client, tenant, confirmed_order, supplier_user
):
    """The inspections page reads a department's deliveries by the
    department stored on them (the order's)."""
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["1"])
        assert delivery.department_id == confirmed_order.department_id
        other = StaffMembershipFactory(
            municipality=tenant.municipality,
            role=StaffRole.DEPARTMENT,
            departments=[tenant.other_department],
        )
    client.force_login(tenant.department_staff)
    page = client.get(_city(tenant, "inspections")).content.decode()
    assert "D-001" in page
    assert 'data-testid="pending-count">1<' in page
    client.force_login(other.user)
    page = client.get(_city(tenant, "inspections")).content.decode()
    assert "D-001" not in page
    assert 'data-testid="pending-count">0<' in page


def test_a_rejection_needs_a_reason_and_frees_the_quantity(
    confirmed_order, supplier_user, tenant
):
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["10"])
        with pytest.raises(ValidationError):
            delivery_inspect(
                delivery=delivery,
                actor=tenant.department_staff,
                result=InspectionResult.REJECTED,
                inspected_on=timezone.localdate(),
            )
        delivery_inspect(
            delivery=delivery,
            actor=tenant.department_staff,
            result=InspectionResult.REJECTED,
            inspected_on=timezone.localdate(),
            reason="規格違い（A3が納品された）",
        )
        # The corrected delivery may bring the whole quantity again.
        _record(confirmed_order, supplier_user, "D-002", ["10"])


def test_the_supplier_may_not_inspect_its_own_delivery(confirmed_order, supplier_user):
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["1"])
        with pytest.raises(ValidationError):
            delivery_inspect(
                delivery=delivery,
                actor=supplier_user,
                result=InspectionResult.ACCEPTED,
                inspected_on=timezone.localdate(),
            )


def test_delivery_transitions_are_one_way():
    assert DELIVERY_TRANSITIONS[DeliveryStatus.PENDING] == {
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.REJECTED,
    }
    assert not DELIVERY_TRANSITIONS[DeliveryStatus.ACCEPTED]
    assert not DELIVERY_TRANSITIONS[DeliveryStatus.REJECTED]


def test_other_department_staff_cannot_inspect(
    client, confirmed_order, supplier_user, tenant
):
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["1"])
    client.force_login(tenant.treasury)
    assert client.get(_city(tenant, "delivery", pk=delivery.pk)).status_code == 200
    assert (
        client.get(_city(tenant, "delivery_inspect", pk=delivery.pk)).status_code == 404
    )


def test_a_unit_price_contract_stops_at_its_ceiling(
    tenant, connection, budget_code, supplier_user
):
    from procurement.services.orders import OrderLineInput

    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            kind=OrderKind.UNIT_PRICE,
            ceiling_amount=Decimal(11000),
            lines=[OrderLineInput("洗剤", None, Decimal(1000), "S", "本")],
            confirm=True,
            supplier_user=supplier_user,
        )
        _record(order, supplier_user, "D-001", ["6"])
        _record(order, supplier_user, "D-002", ["4"])  # 10,000 + tax = 11,000
        with pytest.raises(ValidationError) as caught:
            _record(order, supplier_user, "D-003", ["1"])
    assert "上限額 11,000円（税込）を超えます" in str(caught.value)


def test_a_monthly_invoice_is_drafted_from_inspected_deliveries_and_issued(
    client, tenant, confirmed_order, supplier_user, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        first = _record(confirmed_order, supplier_user, "D-001", ["4", "24"])
        second = _record(confirmed_order, supplier_user, "D-002", ["6"])
        for delivery in (first, second):
            delivery_inspect(
                delivery=delivery,
                actor=tenant.department_staff,
                result=InspectionResult.ACCEPTED,
                inspected_on=timezone.localdate(),
            )
    client.force_login(supplier_user)
    url = reverse("supplier:order_invoice", kwargs={"pk": confirmed_order.pk})
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(f"{url}?month={month}").content.decode()
    assert "D-001" in page
    assert "D-002" in page
    response = client.post(
        url,
        {
            "deliveries": [first.pk, second.pk],
            "number": "INV-ORDER-1",
            "issue_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        link = InvoiceOrder.objects.select_related("invoice").get(order=confirmed_order)
        invoice = link.invoice
        lines = list(invoice.lines.order_by("position"))
        assert invoice.is_draft
        # 10 × 450 at 10% and 24 × 100 at 8%: tax once per rate.
        assert [(line.quantity, line.amount) for line in lines] == [
            (4, 1800),
            (24, 2400),
            (6, 2700),
        ]
        assert (invoice.subtotal, invoice.tax_total) == (6900, 450 + 192)
        assert invoice.order_number == confirmed_order.number
        assert [line.delivery_number for line in lines] == ["D-001", "D-001", "D-002"]
        assert "D-001" in lines[0].note
        with django_capture_on_commit_callbacks(execute=True):
            invoice = invoice_issue(invoice=invoice, actor=supplier_user)
        assert invoice.status == InvoiceStatus.ISSUED
        balance = order_balance(order=confirmed_order)
        assert balance.invoiced == invoice.total
        assert balance.remaining == confirmed_order.amount - invoice.total
        # Billed deliveries cannot be billed twice.
        with pytest.raises(ValidationError):
            invoice_draft_from_deliveries(
                order=confirmed_order,
                supplier=confirmed_order.supplier,
                actor=supplier_user,
                delivery_ids=[first.pk],
                number="INV-ORDER-2",
                issue_date=timezone.localdate(),
            )


def test_pending_deliveries_cannot_be_invoiced(confirmed_order, supplier_user):
    with scopes_disabled():
        delivery = _record(confirmed_order, supplier_user, "D-001", ["1"])
        with pytest.raises(ValidationError):
            invoice_draft_from_deliveries(
                order=confirmed_order,
                supplier=confirmed_order.supplier,
                actor=supplier_user,
                delivery_ids=[delivery.pk],
                number="INV-X",
                issue_date=timezone.localdate(),
            )


def test_completing_an_order_stops_deliveries(
    client, tenant, confirmed_order, supplier_user
):
    client.force_login(tenant.department_staff)
    client.post(
        _city(tenant, "order_complete", pk=confirmed_order.pk), {"confirmed": "1"}
    )
    with scopes_disabled():
        confirmed_order.refresh_from_db()
        assert confirmed_order.status == OrderStatus.COMPLETED
        with pytest.raises(ValidationError):
            _record(confirmed_order, supplier_user, "D-009", ["1"])


DELIVERY_CSV = "自治体コード,注文番号,納品書番号,納品日,行番号,数量,備考\r\n"


def test_deliveries_are_imported_by_csv(client, tenant, confirmed_order, supplier_user):
    code = tenant.municipality.local_government_code
    day = timezone.localdate().isoformat()
    data = DELIVERY_CSV + (
        f"{code},{confirmed_order.number},CSV-1,{day},1,3,午前納品\r\n"
        f"{code},{confirmed_order.number},CSV-1,{day},2,10,\r\n"
        f"{code},{confirmed_order.number},CSV-2,{day},1,２,\r\n"
    )
    client.force_login(supplier_user)
    upload = SimpleUploadedFile("d.csv", data.encode("cp932"), "text/csv")
    response = client.post(reverse("supplier:delivery_import"), {"file": upload})
    assert response.status_code == 302
    with scopes_disabled():
        first = Delivery.objects.get(number="CSV-1")
        assert sorted(first.lines.values_list("quantity", flat=True)) == [3, 10]
        assert first.notes == "午前納品"
        assert Delivery.objects.get(number="CSV-2").lines.get().quantity == 2


def test_a_delivery_csv_with_problems_saves_nothing(
    client, tenant, confirmed_order, supplier_user
):
    code = tenant.municipality.local_government_code
    day = timezone.localdate().isoformat()
    data = DELIVERY_CSV + (
        f"{code},{confirmed_order.number},CSV-1,{day},1,3,\r\n"
        f"{code},{confirmed_order.number},CSV-1,{day},9,1,\r\n"
        f"{code},NO-SUCH,CSV-2,{day},1,1,\r\n"
        f"{code},{confirmed_order.number},CSV-3,{day},1,99,\r\n"
    )
    client.force_login(supplier_user)
    upload = SimpleUploadedFile("d.csv", data.encode("utf-8"), "text/csv")
    page = client.post(reverse("supplier:delivery_import"), {"file": upload})
    content = page.content.decode()
    assert "発注に9行目の明細がありません。" in content
    assert "注文番号「NO-SUCH」の発注が見つかりません。" in content
    with scopes_disabled():
        assert not Delivery.objects.exists()


def test_pending_deliveries_are_paged_overdue_first(
    client, tenant, confirmed_order, supplier_user
):
    """Every delivery awaiting inspection is reachable: 50 a page, the
    soonest deadline first, 「次へ」 to the rest, none twice."""
    with scopes_disabled():
        overdue = _record(confirmed_order, supplier_user, "D-OLD", ["0.1"], order_day())
        for n in range(54):
            _record(confirmed_order, supplier_user, f"D-{n:03}", ["0.1"])
    client.force_login(tenant.treasury)
    url = _city(tenant, "inspections")
    pages = []
    page = client.get(url).content.decode()
    assert 'data-testid="pending-count">55<' in page
    for _ in range(3):
        pages.append(re.findall(r">(D-[A-Z0-9]+)</a></td>", page))
        found = re.search(r'href="([^"]*)" rel="next"', page)
        if not found:
            break
        page = client.get(url + html.unescape(found.group(1))).content.decode()
    assert [len(rows) for rows in pages] == [50, 5]
    seen = pages[0] + pages[1]
    assert seen[0] == overdue.number
    assert len(set(seen)) == 55
