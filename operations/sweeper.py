"""The sweeper: PDFs and mails whose task never ran.

A task is queued after its transaction commits. When Redis restarts without
persistence, or is away at that moment, the task is gone while the row that
asked for it is committed. Rows that have waited longer than the grace
period are queued again; their tasks are idempotent (a PDF already rendered
or a mail already sent is left alone), so a task that was merely slow costs
nothing but a no-op.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from accounts.emails import emails_requeue_stalled
from invoices.services.pdf import invoice_pdfs_requeue_stalled


@dataclass(frozen=True)
class Requeued:
    pdfs: int
    mails: int


def stalled_work_requeue(*, older_than: timedelta | None = None) -> Requeued:
    """Queue again every PDF and mail waiting longer than ``older_than``
    (by default ``STALLED_WORK_GRACE_MINUTES``)."""
    if older_than is None:
        older_than = timedelta(minutes=settings.STALLED_WORK_GRACE_MINUTES)
    return Requeued(
        pdfs=invoice_pdfs_requeue_stalled(older_than=older_than),
        mails=emails_requeue_stalled(older_than=older_than),
    )
