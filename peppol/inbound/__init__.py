"""Receiving JP PINT documents: uploads by suppliers, documents from the
access point or the inbox folder, and the city's 「宛先不明」 queue.

``inbound_check`` reads and checks one document without writing anything:
the safe parse and validation of ``peppol.validation``, whether the portal
can keep it as one of its invoices (what a screen-entered invoice can hold,
with the same arithmetic), and where it goes (municipality by the buyer's
0188 corporate number, department by BuyerReference, supplier by the
seller's registration number or endpoint). ``inbound_receive`` stores the
original unchanged with its SHA-256 and imports it through the screen-entry
services (``invoice_draft_save`` then ``invoice_issue``) when everything is
known, or keeps it in the queue with the reason. The same bytes twice give
the same document, never a second invoice.
"""

from .mapping import CheckResult
from .services import (
    QUEUE_STATUSES,
    REJECTION_ACTIONS,
    InboundImportError,
    inbound_assign,
    inbound_check,
    inbound_for_invoice,
    inbound_original,
    inbound_receive,
    inbound_reject,
)

__all__ = [
    "QUEUE_STATUSES",
    "REJECTION_ACTIONS",
    "CheckResult",
    "InboundImportError",
    "inbound_assign",
    "inbound_check",
    "inbound_for_invoice",
    "inbound_original",
    "inbound_receive",
    "inbound_reject",
]
