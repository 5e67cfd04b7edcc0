"""Receiving JP PINT documents (``peppol.inbound``): the official examples,
routing, the 宛先不明 queue, duplicates, and nothing dropped."""

from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from peppol.inbound import inbound_receive
from peppol.models import InboundStatus
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    SupplierFactory,
    SupplierMembershipFactory,
)

pytestmark = pytest.mark.django_db

EXAMPLES = "jp-pint/billing/examples"
# What the official billing examples become, and why (see the report).
IMPORTED = {
    "Japan PINT Invoice UBL Example1-minimum.xml",
    "Japan PINT Invoice UBL Example3-SumInv1.xml",
    "Japan PINT Invoice UBL Example4-SumInv2.xml",
    "Japan PINT Invoice UBL Example9-SumInv1 and O.xml",
}
REFUSED = {
    # Document-level allowances and charges (AllowanceCharge).
    "Japan PINT Invoice UBL Example.xml": "portal-allowance-charge",
    "Japan PINT Invoice UBL Example5-AllowanceCharge.xml": "portal-allowance-charge",
    "Japan PINT Invoice UBL Example6-CorrInv.xml": "portal-allowance-charge",
    # In euros, with the tax in yen as the tax-accounting currency.
    "Japan PINT Invoice UBL Example2-TaxAcctCur.xml": "portal-currency",
    # A negative invoice (returned goods).
    "Japan PINT Invoice UBL Example7-Return.Quan.ItPr.xml": "portal-negative-line",
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
        else:
            assert document.status == InboundStatus.FAILED
            rules = {p["rule"] for p in document.problems}
            assert REFUSED[name] in rules, document.problems
            assert document.reason
            assert document.invoice is None
