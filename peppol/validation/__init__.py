"""Validation of JP PINT documents: the one safe parser, the official
artefacts (UBL 2.1 XSD and the JP PINT / T111 Schematron XSLTs, run with
saxonche) and the portal's own checks that close the gaps the official rules
leave (reference jp-pint-peppol.md §1.5 and §3).

Everything here reads bytes and returns findings; nothing writes.
"""

from .artefacts import artifacts_dir, official_configured
from .parsing import (
    APPLICATION_RESPONSE_NS,
    CAC,
    CBC,
    CREDIT_NOTE_NS,
    FATAL,
    INVOICE_NS,
    NS,
    SVRL,
    WARNING,
    DocumentRejected,
    Problem,
    max_document_bytes,
    parse_untrusted,
)
from .portal_checks import (
    CONSUMPTION_TAX_RATES,
    OFFICIAL_EXAMPLE_NUMBERS,
    corporate_number_valid,
    portal_problems,
    rates_on,
)
from .schematron import RULE_EXPLANATIONS, official_problems, profile_of

__all__ = [
    "APPLICATION_RESPONSE_NS",
    "CAC",
    "CBC",
    "CONSUMPTION_TAX_RATES",
    "CREDIT_NOTE_NS",
    "FATAL",
    "INVOICE_NS",
    "NS",
    "OFFICIAL_EXAMPLE_NUMBERS",
    "RULE_EXPLANATIONS",
    "SVRL",
    "WARNING",
    "DocumentRejected",
    "Problem",
    "artifacts_dir",
    "corporate_number_valid",
    "document_problems",
    "fatal",
    "max_document_bytes",
    "official_configured",
    "official_problems",
    "parse_untrusted",
    "portal_problems",
    "profile_of",
    "rates_on",
]


def document_problems(xml: bytes) -> list[Problem]:
    """Everything the portal knows about a document: the safe parse
    (raises :class:`DocumentRejected`), the official artefacts when
    ``PEPPOL_ARTIFACTS_DIR`` is configured, and the portal's own checks."""
    root = parse_untrusted(xml)
    problems = []
    if official_configured():
        problems += official_problems(xml, profile=profile_of(root))
    problems += portal_problems(xml)
    return problems


def fatal(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_fatal]
