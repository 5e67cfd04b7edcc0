"""Invoice Responses (T111): every response the portal generates passes
the UBL ApplicationResponse XSD and the official T111 XSLT with no fatal
assertion, and the return reasons map to the Peppol clarification codes."""

from datetime import date

import pytest
from lxml import etree

from invoices.models import ReturnReason
from peppol.responses import (
    CBC,
    RETURN_ACTION_CODE,
    RETURN_REASON_CODES,
    InvoiceResponse,
    Party,
    invoice_response_xml,
)
from peppol.validation import fatal, official_problems

CITY = Party("0188:8000020462039", "鹿屋市")
SUPPLIER = Party("0221:T1234567890123", "株式会社テスト商事")
OP_REASONS = {"NON", "REF", "LEG", "REC", "QUA", "DEL", "PRI", "QTY", "ITM", "PAY"}
OP_REASONS |= {"UNR", "FIN", "PPD", "OTH"}


@pytest.fixture(autouse=True)
def _artifacts(settings, peppol_artifacts):
    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)


def response(code: str, **values) -> InvoiceResponse:
    return InvoiceResponse(
        **{
            "response_id": f"2026-000001-{code}",
            "issue_date": date(2026, 11, 27),
            "code": code,
            "sender": CITY,
            "receiver": SUPPLIER,
            "invoice_number": "INV-2026-0042",
            "invoice_issue_date": date(2026, 11, 20),
            **values,
        }
    )


def assert_valid_t111(xml: bytes) -> None:
    assert fatal(official_problems(xml, profile="invoice-response")) == []


@pytest.mark.parametrize("code", ["AB", "AP"])
def test_receipt_and_approval_responses_are_valid(code):
    xml = invoice_response_xml(response(code))
    assert_valid_t111(xml)
    root = etree.fromstring(xml)
    assert root.findtext(f".//{{{CBC}}}ResponseCode") == code
    assert root.findtext(f".//{{{CBC}}}CustomizationID") == (
        "urn:fdc:peppol.eu:poacc:trns:invoice_response:3"
    )


def test_payment_response_carries_the_payment_date_and_is_valid():
    xml = invoice_response_xml(response("PD", effective_date=date(2026, 12, 10)))
    assert_valid_t111(xml)
    assert etree.fromstring(xml).findtext(f".//{{{CBC}}}EffectiveDate") == (
        "2026-12-10"
    )


@pytest.mark.parametrize("reason", ReturnReason.values)
def test_every_return_reason_gives_a_valid_rejection(reason):
    code = RETURN_REASON_CODES[reason]
    assert code in OP_REASONS
    xml = invoice_response_xml(
        response(
            "RE",
            reasons=(code,),
            actions=(RETURN_ACTION_CODE,),
            reason_text="税率8%の品目に10%が適用されています。訂正した請求書を発行してください。",
        )
    )
    assert_valid_t111(xml)
    codes = {
        element.get("listID"): element.text
        for element in etree.fromstring(xml).iter(f"{{{CBC}}}StatusReasonCode")
    }
    assert codes == {"OPStatusReason": code, "OPStatusAction": "NIN"}


def test_a_rejection_without_a_reason_code_is_caught_by_the_t111_rules():
    """The check can fail: RE needs a clarification code (PEPPOL-T111-R001)."""
    problems = fatal(
        official_problems(
            invoice_response_xml(response("RE")), profile="invoice-response"
        )
    )
    assert "PEPPOL-T111-R001" in {p.rule for p in problems}
