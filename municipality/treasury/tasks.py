"""The treasury's Celery tasks. The treasury is not an app of its own, so
``config/celery_app.py`` names this module for the worker to discover."""

from celery import shared_task

from municipality.tenant_tasks import TRANSIENT_ERRORS, TenantTask


@shared_task(
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def payment_notice_deliver_task(*, notice_id: int, municipality_id: int) -> None:
    """Render and email one payment notice; safe to run twice."""
    from municipality.treasury.services.notices import payment_notice_deliver

    payment_notice_deliver(notice_id=notice_id)
