"""The JP PINT billing XML the portal generates passes the UBL 2.1 XSD,
both official JP PINT billing XSLTs and the portal's own checks."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from hypothesis import (
    HealthCheck,
    assume,
    given,
    settings as hypothesis_settings,
    strategies as st,
)
from lxml import etree

from invoices.models import Invoice, InvoiceStatus, TaxCategory
from invoices.services.decisions import invoice_return
from invoices.services.drafts import LineInput, invoice_copy
from invoices.services.issue import invoice_issue
from invoices.tax import line_amount
from partners.models import (
    BankAccount,
    Connection,
    LegalForm,
    PriceBasis,
    TaxRounding,
)
from peppol.ubl import invoice_ubl
from peppol.validation import official_problems, portal_problems
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


@pytest.fixture(autouse=True)
def _artefacts(settings, peppol_artifacts):
    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)


@pytest.fixture
def connection(tenant, supplier_user):
    supplier = supplier_user.supplier_membership.supplier
    BankAccount.objects.create(
        supplier=supplier,
        bank_code="0001",
        bank_name="みずほ銀行",
        branch_code="001",
        branch_name="東京営業部",
        account_type="1",
        account_number="1234567",
        holder_kana="ｶ)ﾃｽﾄｼﾖｳｼﾞ",
        is_default=True,
    )
    return Connection.objects.get(supplier=supplier)


def assert_valid(xml: bytes) -> None:
    problems = official_problems(xml) + portal_problems(xml)
    assert [p for p in problems if p.severity == "fatal"] == [], xml.decode()
    assert [p for p in problems if p.rule.startswith("portal-")] == []


def texts(xml: bytes, path: str) -> list[str]:
    return [el.text for el in etree.fromstring(xml).findall(path, NS)]


def issue(connection, user, lines, **fields):
    with scopes_disabled():
        return make_invoice(connection=connection, actor=user, lines=lines, **fields)


def test_every_demo_invoice_is_valid_jp_pint():
    with scopes_disabled():
        call_command("seed_demo", force=True, stdout=StringIO())
        invoices = list(
            Invoice.objects.exclude(status=InvoiceStatus.DRAFT).select_related(
                "municipality"
            )
        )
        assert len(invoices) > 5
        assert any(i.corrects_id for i in invoices)
        for invoice in invoices:
            assert_valid(invoice_ubl(invoice))


def test_invoice_carries_ids_parties_tax_and_payment(connection, supplier_user):
    invoice = issue(connection, supplier_user, None)
    xml = invoice_ubl(invoice)
    assert_valid(xml)
    supplier = invoice.supplier
    assert texts(xml, "cbc:CustomizationID") == ["urn:peppol:pint:billing-1@jp-1"]
    assert texts(xml, "cbc:ProfileID") == ["urn:peppol:bis:billing"]
    assert texts(xml, "cbc:ID") == [invoice.number]
    assert texts(xml, "cbc:BuyerReference") == [invoice.department.code]
    seller = "cac:AccountingSupplierParty/cac:Party/"
    assert texts(xml, seller + "cac:PartyTaxScheme/cbc:CompanyID") == [
        supplier.registration_number
    ]
    # No corporate number: the endpoint is the registration number (0221).
    root = etree.fromstring(xml)
    endpoint = root.find(seller + "cbc:EndpointID", NS)
    assert (endpoint.get("schemeID"), endpoint.text) == (
        "0221",
        supplier.registration_number,
    )
    buyer = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (buyer.get("schemeID"), buyer.text) == (
        "0188",
        invoice.municipality.corporate_number,
    )
    # 10 × 450 at S 10% and 3 × 120 at AA 8%: one subtotal per rate.
    subtotal = "cac:TaxTotal/cac:TaxSubtotal/"
    assert texts(xml, subtotal + "cac:TaxCategory/cbc:ID") == ["S", "AA"]
    assert texts(xml, subtotal + "cac:TaxCategory/cbc:Percent") == ["10", "8"]
    assert texts(xml, subtotal + "cbc:TaxableAmount") == ["4500", "360"]
    assert texts(xml, subtotal + "cbc:TaxAmount") == ["450", "28"]
    assert texts(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == [
        str(invoice.total)
    ]
    assert texts(xml, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["30"]
    assert texts(xml, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == [
        "0001:001:1:1234567"
    ]
    # Same snapshot, same bytes.
    assert invoice_ubl(invoice) == xml


def test_corporate_number_is_the_endpoint_when_there_is_one(connection, supplier_user):
    supplier = connection.supplier
    supplier.corporate_number = supplier.registration_number[1:]
    supplier.save()
    xml = invoice_ubl(issue(connection, supplier_user, None))
    assert_valid(xml)
    endpoint = etree.fromstring(xml).find(
        "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", NS
    )
    assert (endpoint.get("schemeID"), endpoint.text) == (
        "0188",
        supplier.corporate_number,
    )


def test_correction_refers_to_the_returned_invoice(connection, supplier_user, tenant):
    returned = issue(connection, supplier_user, None)
    with scopes_disabled():
        returned = invoice_return(
            invoice=returned,
            actor=tenant.department_staff,
            reason="amount",
            explanation="金額が違います。",
            severity="serious",
        )
        draft = invoice_copy(invoice=returned, actor=supplier_user, corrects=True)
        correction = invoice_issue(invoice=draft, actor=supplier_user)
    xml = invoice_ubl(correction)
    assert_valid(xml)
    reference = "cac:BillingReference/cac:InvoiceDocumentReference/"
    assert texts(xml, reference + "cbc:ID") == [returned.number]
    assert texts(xml, reference + "cbc:IssueDate") == [returned.issue_date.isoformat()]


@pytest.mark.parametrize(
    ("rounding", "price", "tax", "base", "adjustment"),
    [
        # 10 yen inclusive, 切り捨て: tax 0, but JP PINT wants 10 × 10% = 1
        # on a base of 10; the base becomes 9 and 1 yen is a rounding amount.
        (TaxRounding.FLOOR, 10, "0", "9", ["1"]),
        # 12 yen inclusive, 切り上げ: tax 2 on a base of 10 is out of range.
        (TaxRounding.CEILING, 12, "2", "11", ["-1"]),
        (TaxRounding.HALF_UP, 1100, "100", "1000", []),
    ],
)
def test_tax_inclusive_invoice_is_stated_tax_exclusive(
    connection, supplier_user, rounding, price, tax, base, adjustment
):
    supplier = connection.supplier
    supplier.tax_rounding = rounding
    supplier.save()
    invoice = issue(
        connection,
        supplier_user,
        [LineInput("切手", Decimal(1), Decimal(price), "S", "枚")],
        price_basis=PriceBasis.INCLUSIVE,
    )
    xml = invoice_ubl(invoice)
    assert_valid(xml)
    assert texts(xml, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount") == [tax]
    assert texts(xml, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == [base]
    assert texts(xml, "cac:InvoiceLine/cbc:LineExtensionAmount") == [base]
    total = "cac:LegalMonetaryTotal/"
    assert texts(xml, total + "cbc:PayableRoundingAmount") == adjustment
    assert texts(xml, total + "cbc:PayableAmount") == [str(price)]


quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10000), places=3)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(10**7), places=3)
units = st.sampled_from(["", "個", "式", "時間", "kg", "月", "ケース"])
line_inputs = st.builds(
    LineInput,
    description=st.text(
        alphabet="あいう品名ABC123 ＆<>\"'", min_size=1, max_size=30
    ).filter(str.strip),
    quantity=quantities,
    unit_price=prices,
    tax_category=st.sampled_from(TaxCategory.values),
    unit=units,
)


@st.composite
def signed_lines(draw) -> list[LineInput]:
    """Sales lines, each followed by at most one discount (値引き, negative
    unit price) or return (返品, negative quantity) no larger than it, so
    every rate's net stays 0 or more as the portal requires."""
    lines = []
    for sale in draw(st.lists(line_inputs, min_size=1, max_size=6)):
        lines.append(sale)
        kind = draw(st.sampled_from(["none", "discount", "return"]))
        if kind == "discount" and sale.quantity * sale.unit_price >= 1:
            most = int(sale.quantity * sale.unit_price)
            price = draw(st.integers(min_value=1, max_value=most))
            lines.append(
                LineInput(
                    "値引き", Decimal(1), Decimal(-price), sale.tax_category, "式"
                )
            )
        elif kind == "return":
            returned = draw(
                st.decimals(
                    min_value=Decimal("0.001"), max_value=sale.quantity, places=3
                )
            )
            lines.append(
                LineInput(
                    f"{sale.description} 返品",
                    -returned,
                    sale.unit_price,
                    sale.tax_category,
                    sale.unit,
                )
            )
    return lines


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=signed_lines(),
    price_basis=st.sampled_from(PriceBasis.values),
    rounding=st.sampled_from(TaxRounding.values),
)
def test_any_invoice_is_valid_jp_pint(
    connection, supplier_user, lines, price_basis, rounding
):
    amounts = [
        line_amount(
            quantity=line.quantity, unit_price=line.unit_price, rounding=rounding
        )
        for line in lines
    ]
    assume(sum(amounts) >= 1)
    supplier = connection.supplier
    supplier.tax_rounding = rounding
    supplier.save()
    invoice = issue(connection, supplier_user, lines, price_basis=price_basis)
    xml = invoice_ubl(invoice)
    assert_valid(xml)
    # The tax per rate is exactly the portal's, and the city pays the same.
    assert (
        sum(
            Decimal(t) for t in texts(xml, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")
        )
        == invoice.tax_total
    )
    assert texts(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == [
        str(invoice.total)
    ]
    assert_signs(xml)


def assert_signs(xml: bytes) -> None:
    """Net prices are never negative (ibr-027, BR-27): a discount or a
    return goes out as a negative quantity with a negative line amount."""
    for line in etree.fromstring(xml).findall("cac:InvoiceLine", NS):
        quantity = Decimal(line.findtext("cbc:InvoicedQuantity", namespaces=NS))
        amount = Decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS))
        price = Decimal(line.findtext("cac:Price/cbc:PriceAmount", namespaces=NS))
        assert price >= 0
        assert quantity != 0
        if amount:
            assert (quantity < 0) == (amount < 0), etree.tostring(line)


@pytest.mark.parametrize("price_basis", PriceBasis.values)
def test_discount_and_return_lines_go_out_as_negative_quantities(
    connection, supplier_user, price_basis
):
    invoice = issue(
        connection,
        supplier_user,
        [
            LineInput("コピー用紙", Decimal(10), Decimal(450), "S", "箱"),
            LineInput("値引き", Decimal(1), Decimal(-1000), "S", "式"),
            LineInput("お茶", Decimal(3), Decimal(120), "AA", "本"),
            LineInput("お茶 返品", Decimal(-3), Decimal(120), "AA", "本"),
        ],
        price_basis=price_basis,
    )
    xml = invoice_ubl(invoice)
    assert_valid(xml)
    assert_signs(xml)
    assert texts(xml, "cac:InvoiceLine/cbc:InvoicedQuantity") == ["10", "-1", "3", "-3"]
    discount_price = "1000" if price_basis == PriceBasis.EXCLUSIVE else "909"
    assert texts(xml, "cac:InvoiceLine/cac:Price/cbc:PriceAmount")[1] == discount_price
    assert texts(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == [
        str(invoice.total)
    ]


@pytest.mark.parametrize(
    ("kind", "fee", "tax"),
    [
        ("general", 100_000, 10_210),
        ("general", 1_000_001, 102_100),
        ("scrivener", 50_000, 4_084),
    ],
)
def test_withholding_goes_in_the_note_and_payment_terms_and_still_validates(
    connection, supplier_user, kind, fee, tax
):
    """源泉徴収 is not a consumption tax and JP PINT has no element for it:
    PayableAmount stays the total (ibr-co-16), and the net the city
    transfers is stated in the note and the payment terms."""
    supplier = connection.supplier
    supplier.legal_form = LegalForm.INDIVIDUAL
    supplier.save()
    invoice = issue(
        connection,
        supplier_user,
        [
            LineInput("講演料", Decimal(1), Decimal(fee), "S", "式", withholding=True),
            LineInput("交通費", Decimal(1), Decimal(3_000), "S", "式"),
        ],
        withholding_kind=kind,
    )
    assert invoice.withholding_tax == tax
    xml = invoice_ubl(invoice)
    assert_valid(xml)
    net = f"{invoice.total - tax:,}円"
    (note,) = texts(xml, "cbc:Note")
    assert f"源泉徴収税額 {tax:,}円" in note
    assert f"差引請求額 {net}" in note
    (terms,) = texts(xml, "cac:PaymentTerms/cbc:Note")
    assert terms.startswith(f"差引請求額 {net}をお支払いください")
    assert texts(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == [
        str(invoice.total)
    ]
    assert texts(xml, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") == []


def test_an_invoice_without_withholding_has_no_payment_terms(connection, supplier_user):
    xml = invoice_ubl(issue(connection, supplier_user, None))
    assert texts(xml, "cac:PaymentTerms/cbc:Note") == []


def _delivered(number: str, quantity: int) -> LineInput:
    return LineInput(
        "コピー用紙",
        Decimal(quantity),
        Decimal(450),
        "S",
        "箱",
        note=f"納品書 {number}",
        delivery_number=number,
    )


def test_one_delivery_goes_out_as_the_despatch_document_reference(
    connection, supplier_user
):
    invoice = issue(
        connection,
        supplier_user,
        [_delivered("D-1", 10), _delivered("D-1", 2)],
        order_number="R8-0123",
    )
    xml = invoice_ubl(invoice)
    assert_valid(xml)
    assert texts(xml, "cac:OrderReference/cbc:ID") == ["R8-0123"]
    assert texts(xml, "cac:DespatchDocumentReference/cbc:ID") == ["D-1"]
    assert texts(xml, "cac:InvoiceLine/cac:DespatchLineReference") == []


def test_several_deliveries_go_out_on_their_lines(connection, supplier_user):
    invoice = issue(
        connection,
        supplier_user,
        [
            _delivered("D-1", 10),
            _delivered("D-2", 5),
            LineInput("配送料", Decimal(1), Decimal(500), "S", "式"),
        ],
        order_number="R8-0123",
    )
    xml = invoice_ubl(invoice)
    # Both XSLTs: at most one document-level reference (ibr-096), none
    # beside line references (ibr-092).
    assert_valid(xml)
    assert texts(xml, "cac:OrderReference/cbc:ID") == ["R8-0123"]
    assert texts(xml, "cac:DespatchDocumentReference/cbc:ID") == []
    line = "cac:InvoiceLine/cac:DespatchLineReference/cac:DocumentReference/cbc:ID"
    assert texts(xml, line) == ["D-1", "D-2"]


def test_an_invoice_without_order_or_delivery_has_no_references(
    connection, supplier_user
):
    xml = invoice_ubl(issue(connection, supplier_user, None))
    assert texts(xml, "cac:OrderReference") == []
    assert texts(xml, "cac:DespatchDocumentReference") == []
