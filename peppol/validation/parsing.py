"""The one safe parser for documents from outside, and the shapes every
check returns (a :class:`Problem`, or :class:`DocumentRejected` for bytes the
portal will not read at all)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from lxml import etree

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
APPLICATION_RESPONSE_NS = (
    "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
)
SVRL = "http://purl.oclc.org/dsdl/svrl"
NS = {"cbc": CBC, "cac": CAC}

FATAL = "fatal"
WARNING = "warning"

DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One finding: the official rule ID (or a ``portal-*`` ID for the
    portal's own checks), ``fatal`` or ``warning``, a message that names the
    field, and where in the document (an XPath-like path) when known."""

    rule: str
    severity: str  # "fatal" | "warning"
    message: str  # Japanese, names the field
    location: str = ""

    @property
    def is_fatal(self) -> bool:
        return self.severity == FATAL


class DocumentRejected(ValidationError):  # noqa: N818 (the name others use)
    """The bytes are not a document the portal will read at all (too large,
    not XML, a DTD or entities). The message is Japanese and says what to do."""

    def __init__(self, message: str):
        super().__init__(message, code="peppol_rejected")
        self.message_ja = message

    def __str__(self) -> str:
        return self.message_ja


def max_document_bytes() -> int:
    return int(
        getattr(settings, "PEPPOL_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES)
    )


def _safe_parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and are not meant to be
    # shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def parse_untrusted(xml: bytes) -> etree._Element:
    """Parse a document from outside: size limit, no DTD (a DOCTYPE is
    rejected outright, so no entity can be declared or expanded), no network,
    no huge trees. Raise :class:`DocumentRejected` with a Japanese message."""
    if not isinstance(xml, bytes | bytearray):
        raise TypeError("parse_untrusted() takes bytes")
    limit = max_document_bytes()
    if len(xml) > limit:
        raise DocumentRejected(
            gettext(
                "XML ファイルが大きすぎます（%(size)s バイト、上限 %(limit)s バイト）。"
                "請求書を分けて送ってください。"
            )
            % {"size": f"{len(xml):,}", "limit": f"{limit:,}"}
        )
    if not xml.strip():
        raise DocumentRejected(gettext("XML ファイルが空です。"))
    # A DOCTYPE is never needed by UBL; refusing it before parsing also
    # refuses entity expansion (billion laughs) and external entities (XXE).
    # The check on the raw bytes covers ASCII-compatible encodings; the check
    # on docinfo after parsing covers the rest (UTF-16 and the like).
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise _doctype_rejected()
    try:
        root = etree.fromstring(bytes(xml), _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentRejected(
            gettext(
                "XML として読み取れません（%(error)s）。"
                "JP PINT（UBL 2.1）の XML ファイルか確認してください。"
            )
            % {"error": exc.msg or str(exc)}
        ) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype_rejected()
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise _doctype_rejected()
    return root


def _doctype_rejected() -> DocumentRejected:
    return DocumentRejected(
        gettext(
            "XML に DOCTYPE（DTD）またはエンティティ宣言が含まれています。"
            "安全のため受け付けません。DOCTYPE を含まない JP PINT の XML を"
            "送ってください。"
        )
    )
