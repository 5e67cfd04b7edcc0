"""Invoice forms: ``supplier`` (entry, lines, filters), ``city`` (return and
approve), ``bulk`` (issue and approve several at once), ``imports`` (the CSV
upload). The supplier's entry forms are re-exported here, where they were
imported from before the split."""

from invoices.forms.supplier import (
    AMOUNT_LIMIT,
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineForm,
    LineFormSet,
    connection_choices,
    line_initial,
)

__all__ = [
    "AMOUNT_LIMIT",
    "InvoiceFilterForm",
    "InvoiceForm",
    "InvoiceLineForm",
    "LineFormSet",
    "connection_choices",
    "line_initial",
]
