"""Discount (値引き) and return (返品) lines: a negative unit price or a
negative quantity, never both, never a quantity of 0. Tax is still computed
once per rate on the net of its lines; a rate whose net is negative, or a
negative invoice, is refused."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from invoices.csv_import import csv_import, csv_parse
from invoices.models import Invoice, InvoiceLine
from invoices.pdf import render_invoice_pdf
from invoices.services.drafts import LineInput, invoice_draft_save
from tests.factories import make_invoice
from tests.invoices.test_csv_import import csv_file, line, texts
from tests.invoices.test_supplier_invoices import form_data

pytestmark = pytest.mark.django_db

D = Decimal
FIELDS = {
    "number": "D-1",
    "issue_date": date(2025, 4, 10),
    "transaction_date": date(2025, 4, 1),
    "price_basis": "exclusive",
}
RATE_NEGATIVE = (
    "10%対象の合計がマイナスになります。値引きは対象の明細の合計以下にしてください。"
)
TOTAL_NEGATIVE = (
    "請求金額の合計がマイナスになります。返品・値引きだけの請求書は発行できません。"
)


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def department(tenant):
    return tenant.department


def _save(supplier, actor, connection, lines):
    with scopes_disabled():
        return invoice_draft_save(
            supplier=supplier,
            actor=actor,
            connection=connection,
            fields=FIELDS,
            lines=lines,
        )


def _invoices(supplier):
    with scopes_disabled():
        return list(Invoice.objects.filter(supplier=supplier))


def test_tax_is_computed_once_per_rate_on_the_net_of_its_lines(
    supplier, supplier_user, connection
):
    invoice = _save(
        supplier,
        supplier_user,
        connection,
        [
            LineInput("コピー用紙", D(10), D(455), "S"),
            LineInput("値引き", D(1), D(-1001), "S"),
            LineInput("お茶", D(3), D(120), "AA"),
            LineInput("お茶 返品", D(-1), D(120), "AA"),
        ],
    )
    with scopes_disabled():
        amounts = list(invoice.lines.values_list("amount", flat=True))
        summaries = {
            s.tax_category: (s.taxable_amount, s.tax_amount)
            for s in invoice.tax_summaries.all()
        }
    assert amounts == [4550, -1001, 360, -120]
    # 3,549 × 10% = 354.9 and 240 × 8% = 19.2, each rounded down once.
    assert summaries == {"S": (3549, 354), "AA": (240, 19)}
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (3789, 373, 4162)


def test_a_rate_whose_net_is_negative_is_refused_naming_the_rate(
    supplier, supplier_user, connection
):
    with pytest.raises(ValidationError) as raised:
        _save(
            supplier,
            supplier_user,
            connection,
            [
                LineInput("お茶", D(10), D(120), "AA"),
                LineInput("コピー用紙", D(1), D(500), "S"),
                LineInput("値引き", D(1), D(-600), "S"),
            ],
        )
    assert raised.value.messages == [RATE_NEGATIVE]
    assert _invoices(supplier) == []


def test_a_negative_invoice_is_refused(supplier, supplier_user, connection):
    with pytest.raises(ValidationError) as raised:
        _save(
            supplier, supplier_user, connection, [LineInput("返品", D(-2), D(450), "S")]
        )
    (message,) = raised.value.messages
    assert message.startswith(TOTAL_NEGATIVE)
    assert "合計がプラスになる請求書のマイナスの明細" in message
    assert _invoices(supplier) == []


@pytest.mark.parametrize(
    ("quantity", "unit_price", "message"),
    [
        (D(0), D(100), "1行目: 数量は0以外にしてください。"),
        (D(-1), D(-100), "1行目: 数量と単価の両方をマイナスにはできません。"),
    ],
)
def test_line_signs_that_do_not_go_together_are_refused(
    supplier, supplier_user, connection, quantity, unit_price, message
):
    with pytest.raises(ValidationError) as raised:
        _save(
            supplier,
            supplier_user,
            connection,
            [LineInput("A", quantity, unit_price, "S")],
        )
    assert raised.value.messages[0].startswith(message)


def test_the_database_refuses_a_line_with_both_signs_negative(
    supplier, supplier_user, connection
):
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user, issue=False)
    for quantity, unit_price, amount in (
        (D(-1), D(-100), D(100)),
        (D(0), D(100), D(0)),
        (D(1), D(-100), D(100)),
    ):
        with (
            scopes_disabled(),
            pytest.raises(IntegrityError),
            transaction.atomic(),
        ):
            InvoiceLine.objects.create(
                invoice=invoice,
                position=9,
                description="x",
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
            )


def test_screen_entry_reads_the_minus_signs_japanese_accounts_use(
    client, supplier_user, supplier, connection
):
    client.force_login(supplier_user)
    lines = [
        {"description": "コピー用紙", "quantity": "10", "unit_price": "450"},
        {"description": "値引き", "quantity": "1", "unit_price": "▲1,000"},
        {"description": "値引き（端数）", "quantity": "1", "unit_price": "△100"},
        {"description": "返品", "quantity": "－1", "unit_price": "450"},
    ]
    response = client.post(
        reverse("supplier:invoice_new"), form_data(connection, lines)
    )
    assert response.status_code == 302, response.content.decode()
    (invoice,) = _invoices(supplier)
    with scopes_disabled():
        assert list(invoice.lines.values_list("amount", flat=True)) == [
            4500,
            -1000,
            -100,
            -450,
        ]
    assert invoice.total == 2950 + 295
    detail = client.get(response["Location"])
    assert "\u22121,000円" in detail.content.decode()


def test_screen_entry_shows_the_negative_rate_message(
    client, supplier_user, supplier, connection
):
    client.force_login(supplier_user)
    lines = [
        {"description": "コピー用紙", "quantity": "1", "unit_price": "500"},
        {"description": "値引き", "quantity": "1", "unit_price": "-600"},
        {
            "description": "お茶",
            "quantity": "10",
            "unit_price": "120",
            "tax_category": "AA",
        },
    ]
    response = client.post(
        reverse("supplier:invoice_new"), form_data(connection, lines)
    )
    assert response.status_code == 200
    assert RATE_NEGATIVE in response.content.decode()
    assert _invoices(supplier) == []


def test_csv_row_with_a_discount_line(supplier, supplier_user, department):
    rows = [
        line(department),
        line(department, 品名="値引き", 数量="1", 単位="式", 単価="▲500"),
    ]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert texts(result) == []
    (invoice,) = csv_import(
        data=csv_file(rows), supplier=supplier, actor=supplier_user, issue=False
    )
    with scopes_disabled():
        assert list(invoice.lines.values_list("amount", flat=True)) == [4500, -500]
    assert (invoice.subtotal, invoice.tax_total) == (4000, 400)


def test_csv_refuses_a_discount_larger_than_its_rate(supplier, department):
    rows = [
        line(department),
        line(department, 品名="値引き", 数量="1", 単価="-5000"),
        line(department, 品名="お茶", 数量="100", 単価="120", 税区分="8%"),
    ]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert texts(result) == [f"2行目「請求書番号」: {RATE_NEGATIVE}"]


def test_pdf_and_filters_show_negative_amounts_with_a_minus_sign(
    supplier_user, connection
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            lines=[
                LineInput("コピー用紙 A4", D(10), D(450), "S", "箱"),
                LineInput("値引き", D(1), D(-1000), "S", "式"),
                LineInput("コピー用紙 A4 返品", D(-2), D(450), "S", "箱"),
            ],
        )
        pdf = render_invoice_pdf(invoice)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "\u22121,000円" in text
    assert "\u2212900円" in text
    assert "\u22122" in text  # the returned quantity
    rendered = Template("{% load invoice_tags %}{{ a|yen }} {{ b|number }}").render(
        Context({"a": D(-1234), "b": D("-2.50")})
    )
    assert rendered == "\u22121,234円 \u22122.5"
