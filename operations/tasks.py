from celery import shared_task


@shared_task(acks_late=True)
def stalled_work_requeue_task() -> dict:
    """Scheduled every 5 minutes (CELERY_BEAT_SCHEDULE); safe to run twice.
    No tenant: it walks the PDFs and mails of every municipality."""
    from operations.sweeper import stalled_work_requeue

    requeued = stalled_work_requeue()
    return {"pdfs": requeued.pdfs, "mails": requeued.mails}
