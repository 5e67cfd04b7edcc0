"""Receiving JP PINT documents (``peppol.inbound``): the official examples,
routing, the 宛先不明 queue, duplicates, and nothing dropped."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled
from lxml import etree

from invoices.models import Invoice, InvoiceStatus
from peppol.inbound import inbound_assign, inbound_receive, inbound_reject
from peppol.models import InboundDocument, InboundStatus
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    SupplierFactory,
    SupplierMembershipFactory,
)

pytestmark = pytest.mark.django_db

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}

EXAMPLES = "jp-pint/billing/examples"
# What the official billing examples become, and why (see the report).
IMPORTED = {
    "Japan PINT Invoice UBL Example1-minimum.xml",
    "Japan PINT Invoice UBL Example3-SumInv1.xml",
    "Japan PINT Invoice UBL Example4-SumInv2.xml",
    "Japan PINT Invoice UBL Example9-SumInv1 and O.xml",
    # Document-level allowances and charges (AllowanceCharge) become lines.
    "Japan PINT Invoice UBL Example.xml",
    "Japan PINT Invoice UBL Example5-AllowanceCharge.xml",
    "Japan PINT Invoice UBL Example6-CorrInv.xml",
}
REFUSED = {
    # In euros, with the tax in yen as the tax-accounting currency.
    "Japan PINT Invoice UBL Example2-TaxAcctCur.xml": (
        "portal-currency",
        "日本円以外の通貨（EUR）の請求書は受け付けられません。",
    ),
    # A negative invoice (returned goods only).
    "Japan PINT Invoice UBL Example7-Return.Quan.ItPr.xml": (
        "portal-negative-total",
        "請求金額の合計がマイナスになります。返品・値引きだけの請求書は"
        "発行できません。返品・値引きは、合計がプラスになる請求書のマイナスの"
        "明細にしてください。",
    ),
}


def stated_amounts(xml: bytes) -> dict:
    """What the document itself says: tax-exclusive total, payable amount,
    and (taxable, tax) per category."""
    root = etree.fromstring(xml)
    total = "cac:LegalMonetaryTotal/cbc:"
    return {
        "subtotal": Decimal(root.findtext(total + "TaxExclusiveAmount", namespaces=NS)),
        "total": Decimal(root.findtext(total + "PayableAmount", namespaces=NS)),
        "taxes": {
            sub.findtext("cac:TaxCategory/cbc:ID", namespaces=NS): (
                Decimal(sub.findtext("cbc:TaxableAmount", namespaces=NS)),
                Decimal(sub.findtext("cbc:TaxAmount", namespaces=NS)),
            )
            for sub in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
        },
    }


@pytest.fixture
def examples(peppol_artifacts, settings) -> Path:
    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)
    return peppol_artifacts / EXAMPLES


@pytest.fixture
def example_world():
    """The buyer, department and seller the official examples name: the
    municipality with corporate number 3210987654321, the department
    ``0150abc`` (BuyerReference of Example.xml), and the seller
    T1234567890123 (dummy numbers that fail the check digit: created
    without the form's validation)."""
    municipality = MunicipalityFactory(
        name="例示市",
        local_government_code="999997",
        corporate_number="3210987654321",
        slug="example-city",
    )
    department = DepartmentFactory(municipality=municipality, code="0150abc")
    supplier = SupplierFactory(
        registration_number="T1234567890123", corporate_number="1234567890123"
    )
    owner = SupplierMembershipFactory(supplier=supplier).user
    connection = ConnectionFactory(supplier=supplier, department=department)
    return municipality, department, supplier, owner, connection


def test_the_nine_official_examples_are_all_accounted_for(examples):
    assert {p.name for p in examples.glob("*.xml")} == IMPORTED | set(REFUSED)
    assert (len(IMPORTED), len(REFUSED)) == (7, 2)


@pytest.mark.parametrize("name", sorted(IMPORTED | set(REFUSED)))
def test_an_official_example_imports_or_is_refused_with_a_reason(
    examples, example_world, name
):
    """Each on its own: several examples share an invoice number (156,
    103), which one supplier can use only once."""
    _municipality, department, supplier, owner, _connection = example_world
    path = examples / name
    document = inbound_receive(
        xml=path.read_bytes(),
        filename=name,
        source="upload",
        supplier=supplier,
        actor=owner,
    )
    with scopes_disabled():
        document.refresh_from_db()
        with document.file.open("rb") as stored:
            assert stored.read() == path.read_bytes()  # kept unchanged
        if name in IMPORTED:
            assert document.status == InboundStatus.IMPORTED, document.problems
            invoice = document.invoice
            assert invoice.status == InvoiceStatus.ISSUED
            assert invoice.department == department
            assert invoice.number == document.document_number
            # Every amount is the document's own.
            stated = stated_amounts(path.read_bytes())
            assert invoice.subtotal == stated["subtotal"]
            assert invoice.total == stated["total"]
            assert {
                s.tax_category: (s.taxable_amount, s.tax_amount)
                for s in invoice.tax_summaries.all()
            } == stated["taxes"]
        else:
            assert document.status == InboundStatus.FAILED
            rule, message = REFUSED[name]
            assert any(
                p["rule"] == rule and message in p["message"] for p in document.problems
            ), document.problems
            assert message in document.reason
            assert document.invoice is None


def test_the_order_reference_becomes_the_order_number(examples, example_world):
    _municipality, _department, supplier, owner, _connection = example_world
    name = "Japan PINT Invoice UBL Example.xml"
    document = inbound_receive(
        xml=(examples / name).read_bytes(),
        filename=name,
        source="upload",
        supplier=supplier,
        actor=owner,
    )
    with scopes_disabled():
        invoice = document.invoice
        assert invoice.order_number == "O-998877"
        assert invoice.snapshot["order_number"] == "O-998877"
        assert "O-998877" not in invoice.notes


def test_document_allowances_and_charges_become_lines(examples, example_world):
    """Example5: an allowance of 179 (値引) and a charge of 7,679 (配送サービス),
    both standard rate, after the three lines."""
    _municipality, _department, supplier, owner, _connection = example_world
    name = "Japan PINT Invoice UBL Example5-AllowanceCharge.xml"
    document = inbound_receive(
        xml=(examples / name).read_bytes(),
        filename=name,
        source="upload",
        supplier=supplier,
        actor=owner,
    )
    with scopes_disabled():
        lines = list(
            document.invoice.lines.order_by("position").values_list(
                "description", "quantity", "unit_price", "tax_category", "amount"
            )
        )
    assert lines[3:] == [
        ("値引", Decimal(1), Decimal(-179), "S", Decimal(-179)),
        ("配送サービス", Decimal(1), Decimal(7679), "S", Decimal(7679)),
    ]


def test_a_total_that_does_not_match_the_lines_is_refused(examples, example_world):
    _municipality, _department, supplier, owner, _connection = example_world
    name = "Japan PINT Invoice UBL Example5-AllowanceCharge.xml"
    xml = (examples / name).read_bytes()
    changed = xml.replace(
        b'<cbc:PrepaidAmount currencyID="JPY">0</cbc:PrepaidAmount>',
        b'<cbc:PrepaidAmount currencyID="JPY">1000</cbc:PrepaidAmount>',
    ).replace(b">289490</cbc:PayableAmount>", b">288490</cbc:PayableAmount>")
    assert changed.count(b"288490") == 1
    document = inbound_receive(
        xml=changed, filename=name, source="upload", supplier=supplier, actor=owner
    )
    assert document.status == InboundStatus.FAILED
    assert "portal-total" in {p["rule"] for p in document.problems}


# Round trip ------------------------------------------------------------------


def _line_values(invoice):
    return [
        (
            line.description,
            line.quantity,
            line.unit,
            line.unit_price,
            line.tax_category,
            line.amount,
        )
        for line in invoice.lines.order_by("position")
    ]


def _tax_values(invoice):
    return [
        (s.tax_category, s.taxable_amount, s.tax_amount)
        for s in invoice.tax_summaries.order_by("tax_category")
    ]


@pytest.mark.parametrize("rounding", ["floor", "half_up", "ceiling"])
def test_round_trip_export_then_import_keeps_every_amount_and_line(
    peppol_artifacts, settings, tenant, rounding
):
    """An invoice exported with ``peppol.ubl.invoice_ubl`` and received
    back as a file from outside keeps every amount and line. The original
    is rolled back after the export, so that the same seller may use the
    same number again. Units are those with a code of their own or none
    (「ケース」 travels in the item description); units that share the code
    H87 (個, 本, 枚…) come back as 個."""
    from django.db import transaction

    from invoices.services.drafts import LineInput
    from peppol.ubl import invoice_ubl
    from tests.factories import make_invoice

    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)
    supplier = SupplierFactory(tax_rounding=rounding)
    owner = SupplierMembershipFactory(supplier=supplier).user
    connection = ConnectionFactory(supplier=supplier, department=tenant.department)
    lines = [
        LineInput("コピー用紙 A4", Decimal("10"), Decimal("450.5"), "S", "箱"),
        LineInput("お茶（来客用）", Decimal("3"), Decimal("123.456"), "AA", "ケース"),
        LineInput("切手", Decimal("7"), Decimal("84"), "O", "kg"),
        LineInput("講習会 受講料", Decimal("1.25"), Decimal("3333"), "E", "時間"),
        LineInput("輸出手数料", Decimal("2"), Decimal("999"), "G", "式"),
    ]

    class _UndoError(Exception):
        pass

    with scopes_disabled():
        try:
            with transaction.atomic():
                original = make_invoice(
                    connection=connection,
                    actor=owner,
                    lines=lines,
                    transaction_end_date=None,
                    due_date=None,
                    notes="11月分",
                )
                xml = invoice_ubl(original)
                expected = (
                    original.number,
                    original.issue_date,
                    original.transaction_date,
                    original.subtotal,
                    original.tax_total,
                    original.total,
                    _line_values(original),
                    _tax_values(original),
                )
                raise _UndoError
        except _UndoError:
            pass
        assert not Invoice.objects.filter(supplier=supplier).exists()

    document = inbound_receive(
        xml=xml, filename="export.xml", source="access_point", supplier=None
    )
    with scopes_disabled():
        assert document.status == InboundStatus.IMPORTED, document.problems
        invoice = document.invoice
        assert (
            invoice.number,
            invoice.issue_date,
            invoice.transaction_date,
            invoice.subtotal,
            invoice.tax_total,
            invoice.total,
            _line_values(invoice),
            _tax_values(invoice),
        ) == expected
        assert invoice.connection == connection
        assert invoice.status == InvoiceStatus.ISSUED


# Duplicates, nothing dropped, routing -----------------------------------------


def test_the_same_bytes_twice_give_the_same_document_and_one_invoice(
    examples, example_world
):
    xml = (examples / "Japan PINT Invoice UBL Example1-minimum.xml").read_bytes()
    first = inbound_receive(xml=xml, filename="a.xml", source="access_point")
    second = inbound_receive(xml=xml, filename="b.xml", source="directory")
    assert first.pk == second.pk
    with scopes_disabled():
        assert InboundDocument.objects.count() == 1
        assert Invoice.objects.count() == 1


def test_a_document_for_an_unknown_municipality_is_kept_without_one(examples):
    """No municipality of the portal has the buyer's corporate number: the
    document is kept, seen by platform admins only (no municipality)."""
    xml = (examples / "Japan PINT Invoice UBL Example1-minimum.xml").read_bytes()
    document = inbound_receive(xml=xml, filename="a.xml", source="access_point")
    assert document.status == InboundStatus.UNKNOWN_ADDRESSEE
    assert document.municipality is None
    assert "3210987654321" in document.reason
    assert document.buyer == "0188:3210987654321"
    with document.file.open("rb") as stored:
        assert stored.read() == xml


def test_an_unknown_sender_goes_to_the_queue_of_its_municipality(
    examples, example_world
):
    municipality, _department, supplier, _owner, _connection = example_world
    with scopes_disabled():
        supplier.registration_number = "T7000012050002"
        supplier.corporate_number = ""
        supplier.save()
    xml = (examples / "Japan PINT Invoice UBL Example1-minimum.xml").read_bytes()
    document = inbound_receive(xml=xml, filename="a.xml", source="access_point")
    assert document.status == InboundStatus.UNKNOWN_ADDRESSEE
    assert document.municipality == municipality
    assert document.supplier is None
    assert "T1234567890123" in document.reason


def test_an_unknown_department_goes_to_the_queue_and_is_assigned(
    examples, example_world, settings
):
    """Example.xml names department 0150abc; here the city has none such.
    A city administrator assigns it: then it is imported."""
    municipality, department, _supplier, owner, _connection = example_world
    with scopes_disabled():
        department.code = "200"
        department.save()
        other = DepartmentFactory(municipality=municipality, code="300")
    xml = (examples / "Japan PINT Invoice UBL Example1-minimum.xml").read_bytes()
    xml = xml.replace(
        b"<cac:InvoicePeriod>",
        b"<cbc:BuyerReference>0150abc</cbc:BuyerReference><cac:InvoicePeriod>",
        1,
    )
    assert b"0150abc" in xml
    document = inbound_receive(xml=xml, filename="a.xml", source="access_point")
    assert document.status == InboundStatus.UNKNOWN_ADDRESSEE, document.problems
    assert "0150abc" in document.reason
    with scopes_disabled():
        # Not connected to the other department: refused, nothing changes.
        with pytest.raises(ValidationError):
            inbound_assign(document=document, department=other, actor=None)
        document.refresh_from_db()
        assert document.status == InboundStatus.UNKNOWN_ADDRESSEE
        document = inbound_assign(document=document, department=department, actor=None)
        assert document.status == InboundStatus.IMPORTED
        assert document.invoice.department == department
        assert document.invoice.status == InvoiceStatus.ISSUED
        assert document.invoice.created_by == owner


def test_a_queued_document_is_rejected_with_its_reason(examples):
    xml = (examples / "Japan PINT Invoice UBL Example1-minimum.xml").read_bytes()
    document = inbound_receive(xml=xml, filename="a.xml", source="access_point")
    with scopes_disabled():
        with pytest.raises(ValidationError):
            inbound_reject(document=document, actor=None, reason=" ", action="NIN")
        document = inbound_reject(
            document=document, actor=None, reason="宛先の誤りです。", action="NIN"
        )
        assert document.status == InboundStatus.REJECTED
        assert document.reason == "宛先の誤りです。"
        assert document.rejection_action == "NIN"
        with pytest.raises(ValidationError):
            inbound_reject(document=document, actor=None, reason="x", action="NIN")


def test_an_invalid_document_is_kept_as_failed_with_the_rule(examples, example_world):
    xml = (examples / "Japan PINT Invoice UBL Example1-minimum.xml").read_bytes()
    broken = xml.replace(
        b'<cbc:TaxAmount currencyID="JPY">25250<',
        b'<cbc:TaxAmount currencyID="JPY">25260<',
    )
    assert broken != xml
    document = inbound_receive(xml=broken, filename="a.xml", source="access_point")
    assert document.status == InboundStatus.FAILED
    rules = {p["rule"] for p in document.problems}
    assert "aligned-ibrp-051-jp" in rules
    assert document.invoice is None


# Safe parsing ---------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>
"""


def xxe(path: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file://'
        + str(path).encode()
        + b'">]>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        b'Invoice-2"><ID xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        b'CommonBasicComponents-2">&xxe;</ID></Invoice>'
    )


@pytest.mark.parametrize("kind", ["billion_laughs", "xxe"])
def test_entity_attacks_are_kept_as_failed_and_never_expanded(kind, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xml = BILLION_LAUGHS if kind == "billion_laughs" else xxe(secret)
    document = inbound_receive(xml=xml, filename="evil.xml", source="access_point")
    assert document.status == InboundStatus.FAILED
    assert "DOCTYPE" in document.reason
    assert "TOP-SECRET-VALUE" not in str(document.problems)
    assert document.document_number == ""
    with document.file.open("rb") as stored:
        assert stored.read() == xml  # kept unchanged, as evidence
