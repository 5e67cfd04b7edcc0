"""The Peppol envelope (SBDH, Standard Business Document Header, Peppol
Envelope Specification 2.0) around a business document: sender and
receiver participant IDs, document type, process, instance ID, creation
time and the country of C1. The participant IDs must equal the document's
EndpointIDs (PINT compliance, "Enveloping compliance")."""

from django.utils.translation import gettext
from lxml import etree

from peppol.access_point.base import (
    PARTICIPANT_SCHEME,
    PROCESS_SCHEME,
    OutgoingDocument,
)
from peppol.validation import DocumentRejected, parse_untrusted

SBDH_NS = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
_Q = f"{{{SBDH_NS}}}"


class EnvelopeError(ValueError):
    """The file is not XML, or an envelope without a document."""


def _sub(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, _Q + tag, attrs)
    if text is not None:
        element.text = text
    return element


def sbdh_wrap(document: OutgoingDocument) -> bytes:
    """The document inside its SBDH, as the provider forwards it over
    AS4."""
    payload = parse_untrusted(document.xml)
    root = etree.Element(_Q + "StandardBusinessDocument", nsmap={None: SBDH_NS})
    header = _sub(root, "StandardBusinessDocumentHeader")
    _sub(header, "HeaderVersion", "1.0")
    for tag, participant in (
        ("Sender", document.sender),
        ("Receiver", document.receiver),
    ):
        _sub(_sub(header, tag), "Identifier", participant, Authority=PARTICIPANT_SCHEME)
    ident = _sub(header, "DocumentIdentification")
    _sub(ident, "Standard", etree.QName(payload).namespace)
    _sub(ident, "TypeVersion", "2.1")
    _sub(ident, "InstanceIdentifier", document.instance_id)
    _sub(ident, "Type", etree.QName(payload).localname)
    _sub(
        ident, "CreationDateAndTime", document.created_at.isoformat(timespec="seconds")
    )
    scope = _sub(header, "BusinessScope")
    for kind, value, scheme in (
        ("DOCUMENTID", document.document_type, document.document_type_scheme),
        ("PROCESSID", document.process, PROCESS_SCHEME),
        ("COUNTRY_C1", document.country_c1, None),
    ):
        entry = _sub(scope, "Scope")
        _sub(entry, "Type", kind)
        _sub(entry, "InstanceIdentifier", value)
        if scheme:
            _sub(entry, "Identifier", scheme)
    root.append(payload)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sbdh_unwrap(xml: bytes) -> tuple[bytes, dict]:
    """The business document and the envelope data (empty for a document
    that came without an envelope, which is then returned unchanged, byte
    for byte).

    Raises ``EnvelopeError`` for a file the safe parser refuses (not XML,
    too large, a DTD or entities), or an envelope without a document."""
    try:
        root = parse_untrusted(xml)
    except DocumentRejected as error:
        raise EnvelopeError(str(error)) from error
    if root.tag != _Q + "StandardBusinessDocument":
        return xml, {}
    header = root.find(_Q + "StandardBusinessDocumentHeader")
    payload = [
        child for child in root if isinstance(child.tag, str) and child is not header
    ]
    if len(payload) != 1:
        raise EnvelopeError(
            gettext(
                "SBDH（封筒）の中に請求書の文書が1つもないか、複数あります。"
                "文書を1つだけ入れて送り直すよう送信者に依頼してください。"
            )
        )
    envelope = {}
    if header is not None:
        envelope = {
            "sender": header.findtext(f"{_Q}Sender/{_Q}Identifier", ""),
            "receiver": header.findtext(f"{_Q}Receiver/{_Q}Identifier", ""),
            "instance_id": header.findtext(
                f"{_Q}DocumentIdentification/{_Q}InstanceIdentifier", ""
            ),
            "created_at": header.findtext(
                f"{_Q}DocumentIdentification/{_Q}CreationDateAndTime", ""
            ),
        }
        for entry in header.iterfind(f"{_Q}BusinessScope/{_Q}Scope"):
            kind = entry.findtext(_Q + "Type", "")
            if kind in ("DOCUMENTID", "PROCESSID", "COUNTRY_C1"):
                envelope[kind.lower()] = entry.findtext(_Q + "InstanceIdentifier", "")
    return (
        etree.tostring(payload[0], xml_declaration=True, encoding="UTF-8"),
        envelope,
    )
