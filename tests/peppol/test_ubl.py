"""The JP PINT billing XML the portal generates passes the UBL 2.1 XSD,
both official JP PINT billing XSLTs and the portal's own checks."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from invoices.models import Invoice, InvoiceStatus, TaxCategory
from invoices.services import LineInput
from partners.models import BankAccount, PriceBasis, TaxRounding
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


def assert_valid(xml: bytes) -> None:
    problems = official_problems(xml) + portal_problems(xml)
    assert [p for p in problems if p.severity == "fatal"] == [], xml.decode()
    assert [p for p in problems if p.rule.startswith("portal-")] == []


def text(xml: bytes, path: str) -> list[str]:
    return [el.text for el in etree.fromstring(xml).findall(path, NS)]


def test_every_demo_invoice_is_valid_jp_pint():
    with scopes_disabled():
        call_command("seed_demo", force=True, stdout=StringIO())
        invoices = list(
            Invoice.objects.exclude(status=InvoiceStatus.DRAFT).select_related(
                "municipality"
            )
        )
        assert len(invoices) > 5
        for invoice in invoices:
            assert_valid(invoice_ubl(invoice))
