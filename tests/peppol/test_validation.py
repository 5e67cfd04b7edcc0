"""The safe parser, the official artefacts and the portal's own checks."""

import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

from peppol.validation import (
    DocumentRejected,
    corporate_number_valid,
    document_problems,
    official_problems,
    parse_untrusted,
    portal_problems,
)

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}
REGISTRATION = "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"


@pytest.fixture(autouse=True)
def _artefacts(settings, peppol_artifacts):
    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)


@pytest.fixture
def examples(peppol_artifacts) -> list[Path]:
    files = sorted((peppol_artifacts / "jp-pint/billing/examples").glob("*.xml"))
    assert len(files) == 9
    return files


@pytest.fixture
def minimum(peppol_artifacts) -> bytes:
    return (
        peppol_artifacts
        / "jp-pint/billing/examples/Japan PINT Invoice UBL Example1-minimum.xml"
    ).read_bytes()


def rules(problems, severity="fatal") -> set[str]:
    return {p.rule for p in problems if p.severity == severity}


def edit(xml: bytes, path: str, value: str | None, index: int = 0) -> bytes:
    root = etree.fromstring(xml)
    el = root.findall(path, NS)[index]
    if value is None:
        el.getparent().remove(el)
    else:
        el.text = value
    return etree.tostring(root)


# -- the official examples -------------------------------------------------


def test_official_billing_examples_have_no_fatal_problem(examples):
    for path in examples:
        xml = path.read_bytes()
        assert rules(official_problems(xml)) == set(), path.name
        portal = portal_problems(xml)
        # The examples use dummy numbers that fail the check digit: warnings.
        assert rules(portal) == set(), path.name
        assert rules(portal, "warning") <= {"portal-check-digit"}, path.name
        assert rules(document_problems(xml)) == set(), path.name


def test_the_other_profiles_and_the_invoice_response_examples(peppol_artifacts):
    for path in sorted((peppol_artifacts / "invoice-response/examples").glob("*")):
        xml = path.read_bytes()
        assert official_problems(xml, profile="invoice-response") == [], path.name
        assert rules(document_problems(xml)) == set(), path.name
    for profile in ("selfbilling", "nontaxinvoice"):
        for path in sorted(
            (peppol_artifacts / f"jp-pint/{profile}/examples").glob("*")
        ):
            assert rules(document_problems(path.read_bytes())) == set(), path.name


# -- official rule IDs -----------------------------------------------------


def test_official_rules_are_reported_with_their_ids(minimum):
    def check(xml):
        return rules(official_problems(xml))

    registration = (
        "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"
    )
    assert "aligned-ibr-jp-01" in check(edit(minimum, registration, "1234567890123"))
    assert "aligned-ibrp-cl-01-jp" in check(
        edit(minimum, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", "Z")
    )
    assert "aligned-ibrp-051-jp" in check(
        edit(minimum, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "25260")
    )
    assert "aligned-ibrp-001-jp" in check(
        edit(
            minimum,
            "cbc:CustomizationID",
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        )
    )
    root = etree.fromstring(minimum)
    for period in root.iter(f"{{{CAC}}}InvoicePeriod"):
        period.getparent().remove(period)
    assert "aligned-ibrp-052" in check(etree.tostring(root))
    # Element order broken: the XSD says so.
    root = etree.fromstring(minimum)
    root.append(root.find("cbc:ID", NS))
    problems = official_problems(etree.tostring(root))
    assert "XSD" in rules(problems)
    assert any("UBL 2.1" in p.message for p in problems)


def test_official_messages_explain_in_japanese(minimum):
    problems = official_problems(
        edit(minimum, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", "Z")
    )
    [problem] = [p for p in problems if p.rule == "aligned-ibrp-cl-01-jp"]
    assert problem.message.startswith("税区分")
    assert "aligned-ibrp-cl-01-jp" in problem.message  # the official text
    assert problem.location


def test_official_problems_need_the_artefacts(settings, minimum):
    settings.PEPPOL_ARTIFACTS_DIR = ""
    with pytest.raises(ImproperlyConfigured, match="PEPPOL_ARTIFACTS_DIR"):
        official_problems(minimum)
    # Without them, the portal's own checks still run.
    assert rules(document_problems(minimum)) == set()


# -- the portal's own checks: the gaps of the official rules ------------------


def test_non_integer_tax_passes_the_official_rules_but_not_the_portal(minimum):
    xml = edit(minimum, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "25250.4")
    assert "portal-jpy-integer" in rules(portal_problems(xml))
    [problem] = [p for p in portal_problems(xml) if p.rule == "portal-jpy-integer"]
    assert "TaxAmount" in problem.message
    assert "25250.4" in problem.message
    assert "TaxSubtotal" in problem.location


def test_unit_price_may_have_decimals(minimum):
    xml = edit(minimum, "cac:InvoiceLine/cac:Price/cbc:PriceAmount", "500.8")
    assert "portal-jpy-integer" not in rules(portal_problems(xml))


def test_wrong_rate_passes_the_official_rules_but_not_the_portal(minimum):
    subtotal = "cac:TaxTotal/cac:TaxSubtotal/"
    xml = edit(minimum, subtotal + "cac:TaxCategory/cbc:Percent", "8")
    xml = edit(xml, subtotal + "cbc:TaxAmount", "20200")
    root = etree.fromstring(xml)
    for line in root.findall("cac:InvoiceLine", NS):
        category = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
        if category.findtext("cbc:ID", namespaces=NS) == "S":
            category.find("cbc:Percent", NS).text = "8"
    total = Decimal(root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS))
    root.find("cac:TaxTotal/cbc:TaxAmount", NS).text = str(total - 5050)
    monetary = root.find("cac:LegalMonetaryTotal", NS)
    for name in ("TaxInclusiveAmount", "PayableAmount"):
        el = monetary.find(f"cbc:{name}", NS)
        el.text = str(Decimal(el.text) - 5050)
    xml = etree.tostring(root)
    assert rules(official_problems(xml)) == set()  # the gap
    problems = portal_problems(xml)
    assert "portal-tax-rate" in rules(problems)
    assert any("10%" in p.message and "S" in p.message for p in problems)


def test_taxable_amount_not_the_sum_of_lines(minimum):
    # 252500 → 252501: the tax 25250 is still within floor/ceiling.
    xml = edit(minimum, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", "252501")
    assert rules(official_problems(xml)) == set()  # the gap
    [problem] = [p for p in portal_problems(xml) if p.rule == "portal-taxable-sum"]
    assert problem.message.startswith(
        "税率別の課税対象額（カテゴリ S 10%）が明細の合計と一致しません"
    )
    assert "252501" in problem.message
    assert "252500" in problem.message


def test_tax_outside_floor_and_ceiling(minimum):
    xml = edit(minimum, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "25252")
    assert "portal-tax-amount" in rules(portal_problems(xml))


def test_bad_check_digit_is_fatal_except_for_the_official_dummy_numbers(minimum):
    registration = (
        "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"
    )
    assert "portal-check-digit" in rules(portal_problems(minimum), "warning")
    xml = edit(minimum, registration, "T7000012050003")
    [problem] = [p for p in portal_problems(xml) if p.severity == "fatal"]
    assert problem.rule == "portal-check-digit"
    assert "登録番号「T7000012050003」" in problem.message
    xml = edit(minimum, registration, "T7000012050002")
    assert "portal-check-digit" not in rules(portal_problems(xml))


def test_check_digit():
    assert corporate_number_valid("7000012050002")
    assert corporate_number_valid("8000020462039")
    assert not corporate_number_valid("7000012050003")
    assert not corporate_number_valid("1234567890123")
    assert not corporate_number_valid("700001205000")


# -- the safe parser ---------------------------------------------------------

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


def xxe(url: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{url}">]>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        '<cbc:ID xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:'
        'CommonBasicComponents-2">&xxe;</cbc:ID></Invoice>'
    ).encode()


@pytest.fixture
def web_server():
    """A local HTTP server that counts the requests it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"secret")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_billion_laughs_is_rejected():
    with pytest.raises(DocumentRejected, match="DOCTYPE"):
        parse_untrusted(BILLION_LAUGHS)
    with pytest.raises(DocumentRejected):
        document_problems(BILLION_LAUGHS)


def test_xxe_file_is_rejected():
    with pytest.raises(DocumentRejected, match="DOCTYPE") as raised:
        parse_untrusted(xxe("file:///etc/passwd"))
    assert "root:" not in str(raised.value)


def test_xxe_over_http_is_rejected_without_a_request(web_server):
    url, hits = web_server
    for document in (
        xxe(f"{url}/entity"),
        f'<!DOCTYPE Invoice SYSTEM "{url}/dtd"><Invoice/>'.encode(),
    ):
        with pytest.raises(DocumentRejected):
            parse_untrusted(document)
        with pytest.raises(DocumentRejected):
            official_problems(document)
        with pytest.raises(DocumentRejected):
            portal_problems(document)
    assert hits == []


def test_doctype_in_utf16_is_rejected():
    document = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>'
    )
    with pytest.raises(DocumentRejected, match="DOCTYPE"):
        parse_untrusted(document.encode("utf-16"))


def test_too_large_and_not_xml_are_rejected(settings, minimum):
    settings.PEPPOL_MAX_DOCUMENT_BYTES = 1000
    with pytest.raises(DocumentRejected, match="大きすぎます"):
        parse_untrusted(minimum)
    settings.PEPPOL_MAX_DOCUMENT_BYTES = 5_000_000
    assert parse_untrusted(minimum).tag.endswith("Invoice")
    with pytest.raises(DocumentRejected, match="XML として読み取れません"):
        parse_untrusted(b"%PDF-1.7 not xml")
    with pytest.raises(DocumentRejected, match="空"):
        parse_untrusted(b"  ")


def test_artefacts_are_compiled_once_per_process(minimum, monkeypatch):
    from peppol.validation import artefacts as module

    official_problems(minimum)
    artefacts = module._artefacts()
    executables = artefacts.executables("billing")
    official_problems(minimum)
    assert module._artefacts() is artefacts
    assert artefacts.executables("billing") is executables
    # A forked worker (another pid) compiles its own.
    monkeypatch.setattr(module.os, "getpid", lambda: -1)
    assert module._artefacts() is not artefacts
