from celery import shared_task


@shared_task(acks_late=True)
def reminders_send_daily_task() -> int:
    """Scheduled every morning (CELERY_BEAT_SCHEDULE); safe to run twice.
    No tenant: it walks every municipality, entering each one's scope."""
    from invoices.reminders import reminders_send_daily

    return reminders_send_daily()
