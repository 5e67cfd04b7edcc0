"""Payment deadlines under 支払遅延防止法 (jp-invoice-law.md §4.2–4.3).

The city must pay within ``Municipality.payment_days`` (30 by default) of
receiving a proper invoice. When it returns an invoice:
- a minor error pauses the clock from the return to the corrected
  invoice's receipt (Art. 6② first half);
- a serious one (故意又は重大な過失) means no proper request was made, so
  the clock starts again at the corrected invoice's receipt.
"""

from datetime import date, timedelta

from django.utils import timezone

from invoices.models import Invoice, ReturnSeverity


def payment_deadline(invoice: Invoice, *, received_at) -> date:
    """The deadline of ``invoice``, received at ``received_at``."""
    received = timezone.localdate(received_at)
    days = invoice.municipality.payment_days
    original = invoice.corrects
    if (
        original is None
        or original.returned_at is None
        or original.payment_deadline is None
        or original.return_severity == ReturnSeverity.SERIOUS
    ):
        return received + timedelta(days=days)
    paused = received - timezone.localdate(original.returned_at)
    return original.payment_deadline + paused
