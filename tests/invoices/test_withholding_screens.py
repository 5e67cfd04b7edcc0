"""源泉徴収 through the screens: an individual supplier marks fee lines on
the entry form (no script needed), a corporation never sees the box and a
crafted request is refused in Japanese; the four figures (小計・消費税・
源泉徴収税額・差引請求額) show on the supplier's and the staff's invoice
pages and in the PDF."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from invoices.models import Invoice, WithholdingKind
from invoices.pdf import render_invoice_pdf
from invoices.services.drafts import LineInput
from partners.models import LegalForm
from tests.factories import make_invoice
from tests.invoices.test_supplier_invoices import form_data

pytestmark = pytest.mark.django_db

FEE_LINES = [
    {
        "description": "講演料（市民講座）",
        "quantity": "1",
        "unit": "式",
        "unit_price": "100,000",
        "withholding": "on",
    },
    {"description": "交通費", "quantity": "1", "unit": "式", "unit_price": "5000"},
]
# 105,000 + 10,500 tax = 115,500; 100,000 × 10.21% = 10,210 withheld.
FIGURES = ("105,000円", "10,500円", "10,210円", "105,290円")


@pytest.fixture
def individual(connection):
    supplier = connection.supplier
    supplier.legal_form = LegalForm.INDIVIDUAL
    supplier.save()
    return supplier


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


def _only_invoice(supplier) -> Invoice:
    with scopes_disabled():
        (invoice,) = Invoice.objects.filter(supplier=supplier)
        return invoice


def test_an_individual_enters_fee_lines_subject_to_withholding(
    member, individual, connection
):
    page = member.get(reverse("supplier:invoice_new")).content.decode()
    assert 'name="withholding_kind"' in page
    assert 'name="lines-0-withholding"' in page
    assert "源泉徴収税額" in page

    response = member.post(
        reverse("supplier:invoice_new"),
        form_data(connection, FEE_LINES, withholding_kind="general"),
    )
    assert response.status_code == 302
    invoice = _only_invoice(individual)
    with scopes_disabled():
        flags = list(
            invoice.lines.order_by("position").values_list("withholding", flat=True)
        )
    assert flags == [True, False]
    assert (invoice.total, invoice.withholding_tax, invoice.net_total) == (
        115_500,
        10_210,
        105_290,
    )
    detail = member.get(response["Location"]).content.decode()
    for text in ("源泉徴収税額", "差引請求額", *FIGURES):
        assert text in detail, text


def test_the_scrivener_rule_is_chosen_on_the_form(member, individual, connection):
    member.post(
        reverse("supplier:invoice_new"),
        form_data(connection, FEE_LINES, withholding_kind="scrivener"),
    )
    invoice = _only_invoice(individual)
    assert invoice.withholding_kind == WithholdingKind.SCRIVENER
    assert invoice.withholding_tax == 9_189  # (100,000 − 10,000) × 10.21%


def test_add_line_without_script_keeps_the_marks_and_shows_the_figures(
    member, individual, connection
):
    data = form_data(connection, FEE_LINES, withholding_kind="general")
    response = member.post(reverse("supplier:invoice_new"), {**data, "add_line": "1"})
    assert response.status_code == 200
    formset = response.context["formset"]
    assert [form["withholding"].value() for form in formset.forms_in_order][:2] == [
        True,
        False,
    ]
    assert response.context["withholding"].tax == 10_210
    page = response.content.decode()
    assert "10,210円" in page
    assert "105,290円" in page


def test_tax_inclusive_prices_with_withholding_are_refused_in_japanese(
    member, individual, connection
):
    response = member.post(
        reverse("supplier:invoice_new"),
        form_data(connection, FEE_LINES, price_basis="inclusive"),
    )
    assert response.status_code == 200
    assert "単価の表示を「税抜」にしてください" in response.content.decode()
    with scopes_disabled():
        assert not Invoice.objects.filter(supplier=individual).exists()


def test_a_corporation_never_sees_withholding(member, connection):
    assert connection.supplier.legal_form == LegalForm.CORPORATION
    page = member.get(reverse("supplier:invoice_new")).content.decode()
    assert "withholding" not in page
    assert "源泉徴収" not in page


def test_a_corporation_cannot_set_it_with_a_crafted_request(member, connection):
    response = member.post(
        reverse("supplier:invoice_new"), form_data(connection, FEE_LINES)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1行目: 源泉徴収は個人事業主への報酬・料金だけが対象です。" in page
    with scopes_disabled():
        assert not Invoice.objects.filter(supplier=connection.supplier).exists()


@pytest.fixture
def issued(individual, connection, supplier_user):
    with scopes_disabled():
        return make_invoice(
            connection=connection,
            actor=supplier_user,
            lines=[
                LineInput(
                    "講演料（市民講座）",
                    Decimal(1),
                    Decimal(100_000),
                    "S",
                    "式",
                    withholding=True,
                ),
                LineInput("交通費", Decimal(1), Decimal(5_000), "S", "式"),
            ],
        )


def test_staff_see_the_four_figures(client, tenant, issued):
    client.force_login(tenant.department_staff)
    url = reverse(
        "city:invoice", kwargs={"municipality_slug": "kanoya", "pk": issued.pk}
    )
    page = client.get(url).content.decode()
    for text in ("小計（税抜）", "消費税額等", "源泉徴収税額", "差引請求額", *FIGURES):
        assert text in page, text


def test_the_pdf_shows_the_four_figures(issued):
    pdf = render_invoice_pdf(issued)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("小計", "消費税", "源泉徴収税額", "差引請求額", *FIGURES):
        assert expected in text, expected
