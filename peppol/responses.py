"""Peppol BIS Invoice Response 3 (T111, UBL ApplicationResponse 2.1): the
city tells a supplier's system what became of its invoice (reference
§5.1-5.2). AB when the invoice is received, RE with reason and action
codes when a department returns it, AP when it is approved, PD when the
treasury pays it. An Invoice Response has no legal power; the portal's own
return notice and payment notice stay the formal ones."""

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from invoices.models import ReturnReason

CUSTOMIZATION_ID = "urn:fdc:peppol.eu:poacc:trns:invoice_response:3"
PROFILE_ID = "urn:fdc:peppol.eu:poacc:bis:invoice_response:3"
NS = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP = {None: NS, "cac": CAC, "cbc": CBC}

# 差戻しの理由 → OPStatusReason. A return is final (RE) in Peppol and in the
# portal alike: the supplier issues a new, corrected invoice that refers to
# the returned one, so the action is always NIN (issue new invoice).
RETURN_REASON_CODES = {
    ReturnReason.AMOUNT: "PRI",  # prices / amounts incorrect
    ReturnReason.TAX: "LEG",  # 消費税額・税区分: qualified-invoice legal content
    ReturnReason.REGISTRATION: "LEG",  # 登録番号: legal information
    ReturnReason.ADDRESSEE: "REF",  # wrong department: routing references
    ReturnReason.DESCRIPTION: "ITM",  # items incorrect
    ReturnReason.ATTACHMENT: "OTH",  # supporting documents missing
    ReturnReason.OTHER: "OTH",
}
RETURN_ACTION_CODE = "NIN"


@dataclass(frozen=True)
class Party:
    """A party of the response: its Peppol participant ID as ``ICD:value``
    and its legal name."""

    participant_id: str
    name: str

    @property
    def scheme(self) -> str:
        return self.participant_id.split(":", 1)[0]

    @property
    def value(self) -> str:
        return self.participant_id.split(":", 1)[1]


@dataclass(frozen=True)
class InvoiceResponse:
    """What one response says. ``reasons`` and ``actions`` are
    OPStatusReason / OPStatusAction codes; ``reason_text`` goes with the
    first reason (or stands alone)."""

    response_id: str
    issue_date: date
    code: str
    sender: Party
    receiver: Party
    invoice_number: str
    invoice_type_code: str = "380"
    invoice_issue_date: date | None = None
    effective_date: date | None = None
    reasons: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    reason_text: str = ""
    extra: dict = field(default_factory=dict)


def _sub(parent, ns: str, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _party(parent, tag: str, party: Party) -> None:
    element = _sub(parent, CAC, tag)
    _sub(element, CBC, "EndpointID", party.value, schemeID=party.scheme)
    legal = _sub(element, CAC, "PartyLegalEntity")
    _sub(legal, CBC, "RegistrationName", party.name)


def invoice_response_xml(response: InvoiceResponse) -> bytes:
    """The T111 ApplicationResponse, UTF-8 with declaration, no empty
    elements (PEPPOL-COMMON-R001)."""
    root = etree.Element(f"{{{NS}}}ApplicationResponse", nsmap=NSMAP)
    _sub(root, CBC, "CustomizationID", CUSTOMIZATION_ID)
    _sub(root, CBC, "ProfileID", PROFILE_ID)
    _sub(root, CBC, "ID", response.response_id)
    _sub(root, CBC, "IssueDate", response.issue_date.isoformat())
    _party(root, "SenderParty", response.sender)
    _party(root, "ReceiverParty", response.receiver)
    document_response = _sub(root, CAC, "DocumentResponse")
    answer = _sub(document_response, CAC, "Response")
    _sub(answer, CBC, "ResponseCode", response.code)
    if response.effective_date:
        _sub(answer, CBC, "EffectiveDate", response.effective_date.isoformat())
    text = response.reason_text.strip()
    for index, code in enumerate(response.reasons):
        status = _sub(answer, CAC, "Status")
        _sub(status, CBC, "StatusReasonCode", code, listID="OPStatusReason")
        if index == 0 and text:
            _sub(status, CBC, "StatusReason", text)
    if text and not response.reasons:
        _sub(_sub(answer, CAC, "Status"), CBC, "StatusReason", text)
    for code in response.actions:
        status = _sub(answer, CAC, "Status")
        _sub(status, CBC, "StatusReasonCode", code, listID="OPStatusAction")
    reference = _sub(document_response, CAC, "DocumentReference")
    _sub(reference, CBC, "ID", response.invoice_number)
    if response.invoice_issue_date:
        _sub(reference, CBC, "IssueDate", response.invoice_issue_date.isoformat())
    _sub(reference, CBC, "DocumentTypeCode", response.invoice_type_code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
