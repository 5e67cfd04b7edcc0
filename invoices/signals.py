"""Signals for apps built on top of invoices, so that invoices imports none
of them."""

from django.dispatch import Signal

# A decision on invoices that the supplier's own system may want to hear of,
# sent inside the transaction that made it. Arguments: ``invoices`` (a list,
# all of one municipality) and ``status``, the InvoiceStatus they reached
# (issued = received by the city, returned, approved, paid).
invoices_decided = Signal()

# Asked when an invoice is approved (and when the approval form is shown)
# for the accounting facts of the commitment it bills: procurement answers
# with an ``invoices.accounting.AccountingDefaults`` for an invoice linked
# to an order, every other receiver with None. Argument: ``invoice``.
invoice_accounting_defaults = Signal()

# Panels other apps contribute to the city staff's invoice page and to its
# approval confirmation (pretix's way of letting apps above add to a page;
# ``invoice_tags.city_invoice_panels`` sends it). Arguments: ``invoice``,
# ``request`` and ``place`` ("detail" or "approve"). A receiver returns
# HTML rendered from its own template, or None.
city_invoice_panels = Signal()
