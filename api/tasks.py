"""Webhook jobs: thin, over ``api.services.webhooks``."""

from celery import shared_task

from api.models import WebhookEndpoint
from api.services.webhooks import (
    webhook_deliver,
    webhook_deliveries_collect,
    webhook_deliveries_due,
)
from partners.models import Supplier
from partners.supplier_tasks import SupplierTask


@shared_task(base=SupplierTask)
def webhooks_collect_task(*, supplier_id: int) -> None:
    """The supplier's new history events become deliveries, sent at once."""
    supplier = Supplier.objects.get(pk=supplier_id)
    for delivery_id in webhook_deliveries_collect(supplier=supplier):
        webhook_deliver_task.delay(delivery_id=delivery_id)


@shared_task
def webhook_deliver_task(*, delivery_id: int) -> None:
    """One attempt of one delivery (no tenant: it reads only the API's own
    rows, written for one supplier)."""
    webhook_deliver(delivery_id=delivery_id)


@shared_task
def webhooks_tick_task() -> None:
    """Every minute (beat; a fan-out with no tenant): collect for every
    supplier with an active endpoint, and send what is due again."""
    supplier_ids = (
        WebhookEndpoint.objects.filter(is_active=True)
        .values_list("supplier_id", flat=True)
        .distinct()
    )
    for supplier_id in supplier_ids:
        webhooks_collect_task.delay(supplier_id=supplier_id)
    for delivery_id in webhook_deliveries_due():
        webhook_deliver_task.delay(delivery_id=delivery_id)
