"""The invoice's order number: linked at issue, three-way match (三点照合)
against the order and the inspected deliveries, and the over-amount flag
on the invoice page, the approval confirmation and the order's balance."""

from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.csv_import import csv_import
from invoices.models import InvoiceStatus
from invoices.services.drafts import LineInput
from invoices.services.issue import invoice_issue
from procurement.matching import invoice_match, invoice_order_link
from procurement.models import InvoiceOrder, OrderKind
from procurement.selectors import order_balance
from procurement.services.deliveries import (
    DeliveryLineInput,
    InspectionResult,
    delivery_inspect,
    delivery_record,
)
from procurement.services.invoicing import invoice_draft_from_deliveries
from procurement.services.orders import OrderLineInput
from tests.factories import ConnectionFactory, DepartmentFactory, make_invoice
from tests.procurement.conftest import make_order

pytestmark = pytest.mark.django_db


def _inspected(order, staff, supplier_user, number, quantities):
    lines = list(order.lines.order_by("position"))
    delivery = delivery_record(
        order=order,
        supplier=order.supplier,
        actor=supplier_user,
        number=number,
        delivered_on=timezone.localdate(),
        lines=[
            DeliveryLineInput(order_line=line, quantity=Decimal(q))
            for line, q in zip(lines, quantities, strict=False)
            if Decimal(q)
        ],
    )
    return delivery_inspect(
        delivery=delivery,
        actor=staff,
        result=InspectionResult.ACCEPTED,
        inspected_on=timezone.localdate(),
    )


def _generated(order, supplier_user, deliveries, number="INV-GEN-1"):
    invoice = invoice_draft_from_deliveries(
        order=order,
        supplier=order.supplier,
        actor=supplier_user,
        delivery_ids=[d.pk for d in deliveries],
        number=number,
        issue_date=timezone.localdate(),
    )
    return invoice_issue(invoice=invoice, actor=supplier_user)


def _match(invoice):
    return invoice_match(invoice=invoice, link=invoice_order_link(invoice=invoice))


@pytest.fixture
def two_deliveries(tenant, confirmed_order, supplier_user):
    with scopes_disabled():
        return [
            _inspected(
                confirmed_order, tenant.department_staff, supplier_user, number, q
            )
            for number, q in (("D-1", ["4", "24"]), ("D-2", ["6"]))
        ]


def test_a_generated_invoice_matches_its_deliveries(
    confirmed_order, supplier_user, two_deliveries
):
    with scopes_disabled():
        invoice = _generated(confirmed_order, supplier_user, two_deliveries[:1])
        match = _match(invoice)
    assert match.order == confirmed_order
    assert match.from_deliveries
    assert match.matched
    assert match.differences == []
    rows = [
        (r.description, r.expected_quantity, r.invoiced_quantity) for r in match.rows
    ]
    assert rows == [("コピー用紙 A4", 4, 4), ("お茶", 24, 24)]
    assert match.expected_total == match.invoiced_total == int(invoice.total)
    assert match.over_amount == 0


def test_a_hand_invoice_naming_the_order_is_linked_at_issue_and_matched(
    connection, confirmed_order, supplier_user, two_deliveries
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            order_number=confirmed_order.number,
            lines=[
                LineInput("コピー用紙 A4", Decimal(10), Decimal(450), "S", "箱"),
                LineInput("お茶", Decimal(24), Decimal(100), "AA", "本"),
            ],
        )
        assert InvoiceOrder.objects.get(invoice=invoice).order == confirmed_order
        match = _match(invoice)
    assert not match.from_deliveries
    assert match.matched, match.differences


def test_each_difference_is_listed_with_item_expected_and_invoiced(
    connection, confirmed_order, supplier_user, two_deliveries
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            order_number=confirmed_order.number,
            lines=[
                LineInput("コピー用紙 A4", Decimal(12), Decimal(450), "S", "箱"),
                LineInput("お茶", Decimal(24), Decimal(110), "AA", "本"),
                LineInput("送料", Decimal(1), Decimal(500), "S", "式"),
            ],
        )
        match = _match(invoice)
    assert not match.matched
    assert [(d.item, d.aspect, d.expected, d.invoiced) for d in match.differences] == [
        ("コピー用紙 A4", "数量", "検収済み 10", "12"),
        ("お茶", "金額（税抜）", "2,400円", "2,640円"),
        ("送料", "品目", "発注にない品目", "1"),
        ("請求書全体", "請求金額（税込）", "7,542円", "9,341円"),
    ]


def test_an_order_number_of_no_order_of_the_department_is_not_linked(
    tenant, connection, budget_code, supplier_user
):
    with scopes_disabled():
        # The same number, but another department's order.
        other = ConnectionFactory(
            supplier=connection.supplier,
            department=DepartmentFactory(municipality=tenant.municipality),
        )
        make_order(
            connection=other,
            actor=tenant.city_admin,
            budget_code=budget_code,
            number="R8-0777",
        )
        invoice = make_invoice(
            connection=connection, actor=supplier_user, order_number="R8-0777"
        )
        assert not InvoiceOrder.objects.filter(invoice=invoice).exists()
        match = _match(invoice)
    assert match.order is None
    assert not match.matched


def test_an_invoice_over_the_order_amount_is_flagged_with_the_figures(
    tenant, connection, budget_code, supplier_user, django_assert_max_num_queries
):
    with scopes_disabled():
        order = make_order(
            connection=connection,
            actor=tenant.department_staff,
            budget_code=budget_code,
            kind=OrderKind.UNIT_PRICE,
            lines=[OrderLineInput("洗剤", None, Decimal(1000), "S", "本")],
            ceiling_amount=Decimal(11000),
            confirm=True,
            supplier_user=supplier_user,
            number="R8-0900",
        )
        first = make_invoice(
            connection=connection,
            actor=supplier_user,
            order_number=order.number,
            lines=[LineInput("洗剤", Decimal(6), Decimal(1000), "S", "本")],
        )
        assert _match(first).over_amount == 0
        second = make_invoice(
            connection=connection,
            actor=supplier_user,
            order_number=order.number,
            lines=[LineInput("洗剤", Decimal(5), Decimal(1000), "S", "本")],
        )
        with django_assert_max_num_queries(9):
            match = _match(second)
        balance = order_balance(order=order)
    # 6,600 + 5,500 against the ceiling of 11,000.
    assert (match.invoiced_with_this, match.over_amount) == (12100, 1100)
    assert (balance.invoiced, balance.over) == (12100, 1100)


def _approve_url(tenant, invoice):
    return reverse(
        "city:invoice_approve",
        kwargs={"municipality_slug": tenant.municipality.slug, "pk": invoice.pk},
    )


def _page_url(tenant, invoice):
    return reverse(
        "city:invoice",
        kwargs={"municipality_slug": tenant.municipality.slug, "pk": invoice.pk},
    )


def test_staff_see_a_match_and_approve_it_in_one_confirmation(
    client, tenant, confirmed_order, supplier_user, two_deliveries
):
    with scopes_disabled():
        invoice = _generated(confirmed_order, supplier_user, two_deliveries)
    client.force_login(tenant.department_staff)
    page = client.get(_page_url(tenant, invoice)).content.decode()
    assert 'data-testid="invoice-match"' in page
    assert "一致" in page
    assert "不一致" not in page
    assert confirmed_order.number in page
    today = timezone.localdate().isoformat()
    confirm = client.post(
        _approve_url(tenant, invoice), {"inspection_date": today}
    ).content.decode()
    assert 'data-testid="invoice-match"' in confirm
    assert "一致" in confirm
    response = client.post(
        _approve_url(tenant, invoice), {"inspection_date": today, "confirmed": "1"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


def test_the_over_amount_warning_shows_on_the_page_and_the_confirmation(
    client, tenant, connection, confirmed_order, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            order_number=confirmed_order.number,
            lines=[LineInput("コピー用紙 A4", Decimal(100), Decimal(450), "S", "箱")],
        )
    client.force_login(tenant.department_staff)
    for url in (_page_url(tenant, invoice), _approve_url(tenant, invoice)):
        page = client.get(url).content.decode()
        assert 'data-testid="over-amount"' in page
        assert "契約金額を超える請求です" in page
        assert "不一致" in page
    order_page = client.get(
        reverse(
            "city:order",
            kwargs={
                "municipality_slug": tenant.municipality.slug,
                "pk": confirmed_order.pk,
            },
        )
    ).content.decode()
    assert 'data-testid="order-over-amount"' in order_page


def test_an_unknown_order_number_is_said_on_the_page(
    client, tenant, connection, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection, actor=supplier_user, order_number="NO-SUCH"
        )
    client.force_login(tenant.department_staff)
    page = client.get(_page_url(tenant, invoice)).content.decode()
    assert "注文番号「NO-SUCH」の発注は、この部署とこの取引先の間にありません" in page


def test_an_invoice_naming_no_order_has_no_panel(
    client, tenant, connection, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
    client.force_login(tenant.department_staff)
    page = client.get(_page_url(tenant, invoice)).content.decode()
    assert 'data-testid="invoice-match"' not in page


def test_a_csv_invoice_naming_the_order_is_linked_when_issued(
    connection, confirmed_order, supplier_user
):
    department = connection.department
    day = timezone.localdate().isoformat()
    csv = (
        "請求書番号,宛先自治体コード,宛先部署コード,請求日,取引日,件名,注文番号,"
        "品名,数量,単位,単価,税区分\r\n"
        f"CSV-1,{department.municipality.local_government_code},{department.code},"
        f"{day},{day},事務用品,{confirmed_order.number},コピー用紙 A4,10,箱,450,10%\r\n"
    )
    (invoice,) = csv_import(
        data=csv.encode("utf-8-sig"),
        supplier=connection.supplier,
        actor=supplier_user,
        issue=True,
    )
    with scopes_disabled():
        assert invoice.order_number == confirmed_order.number
        assert invoice.snapshot["order_number"] == confirmed_order.number
        assert InvoiceOrder.objects.get(invoice=invoice).order == confirmed_order


def _page_queries(client, url) -> int:
    client.get(url)  # the first look opens the invoice
    with CaptureQueriesContext(db_connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_match_costs_the_same_queries_for_many_deliveries(
    client, tenant, confirmed_order, supplier_user
):
    with scopes_disabled():
        deliveries = [
            _inspected(
                confirmed_order,
                tenant.department_staff,
                supplier_user,
                f"D-{n}",
                ["1", "2"],
            )
            for n in range(8)
        ]
        few = _generated(confirmed_order, supplier_user, deliveries[:2], "INV-A")
        many = _generated(confirmed_order, supplier_user, deliveries[2:], "INV-B")
    client.force_login(tenant.department_staff)
    for url in (_page_url, _approve_url):
        assert _page_queries(client, url(tenant, few)) == _page_queries(
            client, url(tenant, many)
        )


def test_a_received_jp_pint_invoice_naming_the_order_is_linked_and_matched(
    connection, confirmed_order, supplier_user, two_deliveries
):
    """The same document as the portal would write it (exported, then the
    original rolled back so that the number is free), received back."""
    from django.db import transaction

    from peppol.inbound import inbound_receive
    from peppol.ubl import invoice_ubl

    class _UndoError(Exception):
        pass

    with scopes_disabled():
        try:
            with transaction.atomic():
                xml = invoice_ubl(
                    make_invoice(
                        connection=connection,
                        actor=supplier_user,
                        order_number=confirmed_order.number,
                        lines=[
                            LineInput(
                                "コピー用紙 A4", Decimal(10), Decimal(450), "S", "箱"
                            ),
                            LineInput("お茶", Decimal(24), Decimal(100), "AA", "本"),
                        ],
                    )
                )
                raise _UndoError
        except _UndoError:
            pass
    document = inbound_receive(
        xml=xml,
        filename="invoice.xml",
        source="upload",
        supplier=connection.supplier,
        actor=supplier_user,
    )
    with scopes_disabled():
        invoice = document.invoice
        assert invoice.order_number == confirmed_order.number
        match = _match(invoice)
    assert match.order == confirmed_order
    assert match.matched, match.differences


def _supplier_form_data(page, invoice_number, **fields) -> dict:
    """The supplier's form posted back as it was shown."""
    form = page.context["form"]
    rows = [row.initial for row in page.context["formset"].forms if row.initial]
    data = {
        name: "" if form[name].value() is None else form[name].value()
        for name in form.fields
        if name != "attachments"
    }
    data |= {
        "number": invoice_number,
        "issue_date": timezone.localdate().isoformat(),
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, row in enumerate(rows):
        values = {**row, "ORDER": str(index + 1)}
        data |= {
            f"lines-{index}-{name}": "" if value is None else value
            for name, value in values.items()
            if name != "withholding"
        }
    return data


def test_an_edited_generated_draft_keeps_its_references_and_a_copy_drops_them(
    client, confirmed_order, supplier_user, two_deliveries
):
    with scopes_disabled():
        draft = invoice_draft_from_deliveries(
            order=confirmed_order,
            supplier=confirmed_order.supplier,
            actor=supplier_user,
            delivery_ids=[d.pk for d in two_deliveries],
            number="INV-EDIT",
            issue_date=timezone.localdate(),
        )
    client.force_login(supplier_user)
    edit = reverse("supplier:invoice_edit", args=[draft.pk])
    page = client.get(edit)
    assert page.context["form"]["order_number"].value() == confirmed_order.number
    # Carried by the form, not typed.
    assert (
        '<input type="hidden" name="lines-0-delivery_number" value="D-1"'
        in page.content.decode()
    )
    response = client.post(edit, _supplier_form_data(page, "INV-EDIT", subject="x"))
    assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        draft.refresh_from_db()
        assert draft.subject == "x"
        assert draft.order_number == confirmed_order.number
        assert list(
            draft.lines.order_by("position").values_list("delivery_number", flat=True)
        ) == ["D-1", "D-1", "D-2"]
    copy = client.get(reverse("supplier:invoice_copy", args=[draft.pk]))
    assert copy.context["form"]["order_number"].value() == confirmed_order.number
    rows = [row.initial for row in copy.context["formset"].forms if row.initial]
    assert {row["delivery_number"] for row in rows} == {""}


def test_screen_entry_saves_the_order_number(client, connection, supplier_user):
    client.force_login(supplier_user)
    page = client.get(reverse("supplier:invoice_new"))
    data = _supplier_form_data(
        page,
        "INV-SCREEN",
        connection=connection.pk,
        transaction_date=timezone.localdate().isoformat(),
        order_number="R8-0042",
        price_basis="exclusive",
        **{
            "lines-TOTAL_FORMS": "1",
            "lines-0-description": "コピー用紙",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "100",
            "lines-0-tax_category": "S",
            "lines-0-ORDER": "1",
        },
    )
    response = client.post(reverse("supplier:invoice_new"), data)
    assert response.status_code == 302, response.content.decode()
    from invoices.models import Invoice

    with scopes_disabled():
        assert Invoice.objects.get(number="INV-SCREEN").order_number == "R8-0042"
