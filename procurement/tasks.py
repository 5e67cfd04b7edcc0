"""Thin Celery tasks of the procurement app."""

from celery import shared_task


@shared_task(acks_late=True)
def order_reminders_daily_task() -> int:
    """Scheduled every morning (CELERY_BEAT_SCHEDULE); safe to run twice.
    No tenant: it walks every municipality, entering each one's scope."""
    from procurement.reminders import order_reminders_send_daily

    return order_reminders_send_daily()
