"""Invoice search (電子帳簿保存法: 取引年月日・金額の範囲, 取引先, AND), who
sees what in it, and the printable view."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.search import CityInvoiceSearchForm, SupplierInvoiceSearchForm
from invoices.services.decisions import invoice_approve
from invoices.services.drafts import LineInput
from partners.models import Connection, Supplier
from tests.factories import (
    ConnectionFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    make_invoice,
)

pytestmark = pytest.mark.django_db

SUPPLIER_SEARCH = "/supplier/invoices/search/"
CITY_SEARCH = "/m/kanoya/invoices/search/"


def _lines(amount: int) -> list[LineInput]:
    """One 10% line: the total is ``amount`` + 10%."""
    return [LineInput("業務委託", Decimal(1), Decimal(amount), "S", "式")]


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def invoices(tenant, supplier_user, connection):
    """The supplier's invoices to ``tenant.department``:

    - A-1: 2025-04-10, 11,000円
    - A-2: period 2025-03-20〜2025-04-05, 5,500円
    - A-3: 2025-05-15, 110,000円
    - A-4: draft, 2025-04-12, 11,000円
    """
    rows = [
        ("A-1", date(2025, 4, 10), None, 10000, True),
        ("A-2", date(2025, 3, 20), date(2025, 4, 5), 5000, True),
        ("A-3", date(2025, 5, 15), None, 100000, True),
        ("A-4", date(2025, 4, 12), None, 10000, False),
    ]
    with scopes_disabled():
        return {
            number: make_invoice(
                connection=connection,
                actor=supplier_user,
                number=number,
                transaction_date=start,
                transaction_end_date=end,
                lines=_lines(amount),
                issue=issue,
            )
            for number, start, end, amount, issue in rows
        }


@pytest.fixture
def rival(tenant):
    """Another supplier of the same city, with an invoice to each of its
    two departments."""
    membership = SupplierMembershipFactory(
        supplier=SupplierFactory(
            legal_name="髙木産業株式会社", name_kana="タカギサンギヨウ"
        )
    )
    user, supplier = membership.user, membership.supplier
    with scopes_disabled():
        for number, department in (
            ("B-1", tenant.department),
            ("B-2", tenant.other_department),
        ):
            make_invoice(
                connection=ConnectionFactory(supplier=supplier, department=department),
                actor=user,
                number=number,
                transaction_date=date(2025, 4, 20),
                lines=_lines(20000),
            )
    return user


@pytest.fixture
def elsewhere(other_supplier_user, other_tenant):
    """An invoice of another supplier to another municipality."""
    with scopes_disabled():
        supplier = other_supplier_user.supplier_membership.supplier
        return make_invoice(
            connection=Connection.objects.get(supplier=supplier),
            actor=other_supplier_user,
            number="C-1",
            transaction_date=date(2025, 4, 10),
        )


def _found(client, user, url, **query) -> set[str]:
    client.force_login(user)
    response = client.get(url, query)
    assert response.status_code == 200
    return {invoice.number for invoice in response.context["invoices"]}


# Each condition


def test_supplier_search_without_conditions_shows_issued_invoices_not_drafts(
    client, supplier_user, invoices
):
    assert _found(client, supplier_user, SUPPLIER_SEARCH) == {"A-1", "A-2", "A-3"}


def test_supplier_search_shows_drafts_only_when_asked(client, supplier_user, invoices):
    found = _found(client, supplier_user, SUPPLIER_SEARCH, include_drafts="on")
    assert found == {"A-1", "A-2", "A-3", "A-4"}


def test_staff_search_never_shows_drafts(client, tenant, invoices):
    found = _found(client, tenant.department_staff, CITY_SEARCH, number="A-4")
    assert found == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"date_from": "2025-04-01", "date_to": "2025-04-30"}, {"A-1", "A-2"}),
        # A-2's period (3/20〜4/5) overlaps both ends of it.
        ({"date_to": "2025-03-25"}, {"A-2"}),
        ({"date_from": "2025-04-05"}, {"A-1", "A-2", "A-3"}),
        ({"date_from": "2025-04-06"}, {"A-1", "A-3"}),
        ({"date_from": "2025-04-01", "date_to": "2025-04-01"}, {"A-2"}),
        ({"date_from": "2025/5/15", "date_to": "２０２５年５月１５日"}, {"A-3"}),
    ],
)
def test_transaction_date_range_matches_invoices_whose_period_overlaps_it(
    client, supplier_user, invoices, query, expected
):
    assert _found(client, supplier_user, SUPPLIER_SEARCH, **query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"amount_min": "11000"}, {"A-1", "A-3"}),
        ({"amount_max": "11000"}, {"A-1", "A-2"}),
        ({"amount_min": "１０，０００", "amount_max": "100,000円"}, {"A-1"}),
        ({"amount_min": "5,500", "amount_max": "5500"}, {"A-2"}),
    ],
)
def test_amount_range_is_on_the_total_and_accepts_how_people_type_it(
    client, supplier_user, invoices, query, expected
):
    assert _found(client, supplier_user, SUPPLIER_SEARCH, **query) == expected


@pytest.mark.parametrize("counterparty", ["髙木", "タカギ", "たかぎ", "ﾀｶｷﾞ"])
def test_staff_counterparty_matches_supplier_name_or_kana(
    client, tenant, invoices, rival, counterparty
):
    found = _found(client, tenant.city_admin, CITY_SEARCH, counterparty=counterparty)
    assert found == {"B-1", "B-2"}


def test_staff_counterparty_matches_registration_number_as_typed(
    client, tenant, invoices, rival
):
    with scopes_disabled():
        number = Supplier.objects.get(legal_name="髙木産業株式会社").registration_number
    # Part of it, in full-width digits with a hyphen in the middle.
    digits = number[1:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    typed = f"{digits[:4]}－{digits[4:9]}"
    found = _found(client, tenant.city_admin, CITY_SEARCH, counterparty=typed)
    assert found == {"B-1", "B-2"}


@pytest.mark.parametrize(
    ("counterparty", "expected"),
    [("鹿屋", {"A-1", "A-2", "A-3"}), ("部署", {"A-1", "A-2", "A-3"}), ("霧島", set())],
)
def test_supplier_counterparty_matches_municipality_or_department_name(
    client, supplier_user, invoices, counterparty, expected
):
    found = _found(client, supplier_user, SUPPLIER_SEARCH, counterparty=counterparty)
    assert found == expected


def test_a_renamed_supplier_is_found_by_the_name_on_its_invoices(
    client, tenant, invoices, rival
):
    with scopes_disabled():
        Supplier.objects.filter(legal_name="髙木産業株式会社").update(
            legal_name="新社名株式会社"
        )
    admin = tenant.city_admin
    assert _found(client, admin, CITY_SEARCH, counterparty="髙木") == {"B-1", "B-2"}
    assert _found(client, admin, CITY_SEARCH, counterparty="新社名") == {"B-1", "B-2"}


def test_number_matches_invoice_or_receipt_number(client, supplier_user, invoices):
    receipt = invoices["A-3"].receipt_number
    assert _found(client, supplier_user, SUPPLIER_SEARCH, number="Ａ－２") == {"A-2"}
    assert _found(client, supplier_user, SUPPLIER_SEARCH, number=receipt) == {"A-3"}


def test_status_narrows_to_one_state(client, tenant, supplier_user, invoices):
    with scopes_disabled():
        invoice_approve(
            invoice=invoices["A-1"],
            actor=tenant.department_staff,
            inspection_date=date(2025, 4, 30),
        )
    found = _found(
        client, supplier_user, SUPPLIER_SEARCH, status=InvoiceStatus.APPROVED
    )
    assert found == {"A-1"}


def test_conditions_combine_with_and(client, tenant, invoices, rival):
    query = {
        "date_from": "2025-04-01",
        "date_to": "2025-04-30",
        "amount_min": "10000",
    }
    # 4月 and ≥ 10,000円: A-1, B-1, B-2; then also the supplier's name.
    assert _found(client, tenant.city_admin, CITY_SEARCH, **query) == {
        "A-1",
        "B-1",
        "B-2",
    }
    assert _found(
        client, tenant.city_admin, CITY_SEARCH, counterparty="タカギ", **query
    ) == {"B-1", "B-2"}
    assert (
        _found(
            client,
            tenant.city_admin,
            CITY_SEARCH,
            counterparty="タカギ",
            number="B-2",
            status=InvoiceStatus.OPENED,
            **query,
        )
        == set()
    )


# Validation


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "2025-02-30"}, "date_from", "日付を正しく入力してください"),
        ({"date_to": "昨日"}, "date_to", "日付を正しく入力してください"),
        (
            {"date_from": "2025-05-01", "date_to": "2025-04-01"},
            "date_to",
            "取引日の「まで」は「から」と同じか、それより後の日付",
        ),
        ({"amount_min": "千円"}, "amount_min", "金額は0以上の整数で入力してください"),
        ({"amount_max": "-100"}, "amount_max", "金額は0以上の整数で入力してください"),
        ({"amount_max": "1" * 16}, "amount_max", "金額は15桁以内"),
        (
            {"amount_min": "10,001", "amount_max": "１００００"},
            "amount_max",
            "請求金額の「以下」は「以上」と同じか、それより大きい金額",
        ),
    ],
)
def test_invalid_conditions_get_a_specific_message_and_no_results(
    client, supplier_user, invoices, query, field, message
):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_SEARCH, query)
    form = response.context["form"]
    assert message in form.errors[field][0]
    assert list(response.context["invoices"]) == []
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "form_class", [SupplierInvoiceSearchForm, CityInvoiceSearchForm]
)
def test_an_empty_form_is_valid_and_keeps_everything(form_class):
    form = form_class(data={})
    assert form.is_valid()
    assert form.cleaned_data["amount_min"] is None
    assert form.cleaned_data["date_from"] is None


# Who sees what


def test_supplier_sees_only_its_own_invoices(
    client, supplier_user, invoices, rival, elsewhere
):
    assert _found(client, rival, SUPPLIER_SEARCH) == {"B-1", "B-2"}
    assert _found(client, supplier_user, SUPPLIER_SEARCH) == {"A-1", "A-2", "A-3"}


def test_department_staff_see_only_their_departments(client, tenant, invoices, rival):
    found = _found(client, tenant.department_staff, CITY_SEARCH)
    assert found == {"A-1", "A-2", "A-3", "B-1"}


@pytest.mark.parametrize("role", ["treasury", "city_admin"])
def test_treasury_and_city_admin_see_the_whole_municipality(
    client, tenant, invoices, rival, elsewhere, role
):
    found = _found(client, getattr(tenant, role), CITY_SEARCH)
    assert found == {"A-1", "A-2", "A-3", "B-1", "B-2"}


def test_staff_of_another_municipality_see_only_theirs(
    client, other_tenant, invoices, elsewhere
):
    user = other_tenant.city_admin
    assert _found(client, user, "/m/kirishima/invoices/search/") == {"C-1"}
    assert client.get(CITY_SEARCH).status_code == 404


# The printable view


def _print_url(invoice, slug=None):
    if slug:
        return f"/m/{slug}/invoices/{invoice.pk}/print/"
    return f"/supplier/invoices/{invoice.pk}/print/"


def _print_events(invoice):
    with scopes_disabled():
        return list(
            InvoiceEvent.objects.filter(invoice=invoice, kind=EventKind.DOWNLOADED)
        )


@pytest.mark.parametrize("side", ["supplier", "department_staff", "treasury"])
def test_print_view_shows_the_document_alone_and_records_a_download(
    client, tenant, supplier_user, invoices, side
):
    invoice = invoices["A-1"]
    user = supplier_user if side == "supplier" else getattr(tenant, side)
    client.force_login(user)
    response = client.get(_print_url(invoice, None if side == "supplier" else "kanoya"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith("<!DOCTYPE html>")
    assert invoice.number in body
    assert invoice.receipt_number in body
    assert "@media print" in body
    assert "site-header" not in body
    (event,) = _print_events(invoice)
    assert (event.actor, event.data) == (user, {"format": "print"})


def test_printing_a_draft_says_so_and_records_nothing(client, supplier_user, invoices):
    client.force_login(supplier_user)
    response = client.get(_print_url(invoices["A-4"]))
    assert "下書き（未発行）" in response.content.decode()
    assert _print_events(invoices["A-4"]) == []


def test_print_view_is_404_outside_what_the_user_may_see(
    client, tenant, other_tenant, invoices, rival, elsewhere
):
    with scopes_disabled():
        b2 = Invoice.objects.get(number="B-2")
    cases = [
        (tenant.department_staff, _print_url(b2, "kanoya")),  # other department
        (other_tenant.city_admin, _print_url(invoices["A-1"], "kirishima")),
        (other_tenant.city_admin, _print_url(invoices["A-1"], "kanoya")),
        (tenant.city_admin, _print_url(elsewhere, "kanoya")),
        (rival, _print_url(invoices["A-1"])),  # another supplier's invoice
        (rival, _print_url(elsewhere)),
    ]
    for user, url in cases:
        client.force_login(user)
        assert client.get(url).status_code == 404, url
    assert _print_events(b2) == []


# Query count


def _queries(client, url) -> int:
    with CaptureQueriesContext(db_connection) as ctx:
        assert client.get(url, {"date_from": "2025-01-01"}).status_code == 200
    return len(ctx)


def _more_invoices(connection, actor, n):
    with scopes_disabled():
        for _ in range(n):
            make_invoice(
                connection=connection, actor=actor, transaction_date=date(2025, 6, 1)
            )


@pytest.mark.parametrize("side", ["supplier", "city_admin"])
def test_results_page_uses_a_constant_number_of_queries(
    client, tenant, supplier_user, connection, side
):
    client.force_login(supplier_user if side == "supplier" else tenant.city_admin)
    url = SUPPLIER_SEARCH if side == "supplier" else CITY_SEARCH
    _more_invoices(connection, supplier_user, 2)
    few = _queries(client, url)
    _more_invoices(connection, supplier_user, 8)
    many = _queries(client, url)
    assert few == many
