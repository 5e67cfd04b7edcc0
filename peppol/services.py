"""JP PINT documents the portal hands out: generated from the frozen
snapshot, checked before anyone gets them."""

import logging

from django.utils.translation import gettext

from invoices.models import Invoice
from peppol.ubl import JpPintUnavailable, invoice_ubl
from peppol.validation import (
    Problem,
    official_configured,
    official_problems,
    portal_problems,
)

logger = logging.getLogger(__name__)


class JpPintInvalid(JpPintUnavailable):
    """The generated document fails the portal's own checks (or the
    official artefacts, when configured); it is never served."""

    def __init__(self, message: str, problems: list[Problem]):
        super().__init__(message)
        self.problems = problems


def invoice_jp_pint(invoice: Invoice) -> bytes:
    """The invoice's JP PINT billing XML, checked: the portal's own checks
    always, and the official XSD and XSLTs when ``PEPPOL_ARTIFACTS_DIR`` is
    set. Raises :class:`JpPintUnavailable` (or :class:`JpPintInvalid`, with
    the problems) and logs why; the message is Japanese."""
    xml = invoice_ubl(invoice)
    problems = portal_problems(xml)
    if official_configured():
        problems += official_problems(xml)
    fatal = [p for p in problems if p.is_fatal]
    if fatal:
        logger.error(
            "JP PINT for invoice %s fails validation: %s",
            invoice.pk,
            "; ".join(f"{p.rule} {p.location}" for p in fatal),
        )
        raise JpPintInvalid(
            gettext(
                "請求書 %(number)s の JP PINT（デジタルインボイス）の XML が検証を"
                "通らないため、ダウンロードできません。システム管理者に通知"
                "しました。PDF をご利用ください。"
            )
            % {"number": invoice.number},
            fatal,
        )
    return xml
