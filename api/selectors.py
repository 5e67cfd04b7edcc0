from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from api.models import ApiCall, ApiKey, WebhookEndpoint
from partners.models import Supplier


def api_key_list_for_supplier(*, supplier: Supplier) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(supplier=supplier).select_related("created_by")


def api_key_get_for_supplier(*, supplier: Supplier, pk: int) -> ApiKey:
    return get_object_or_404(api_key_list_for_supplier(supplier=supplier), pk=pk)


def api_call_list_recent(*, api_key: ApiKey, limit: int = 50) -> QuerySet[ApiCall]:
    return ApiCall.objects.filter(api_key=api_key).order_by("-pk")[:limit]


def webhook_endpoint_list_for_supplier(*, supplier: Supplier) -> QuerySet:
    return WebhookEndpoint.objects.filter(supplier=supplier)


def webhook_endpoint_get_for_supplier(*, supplier: Supplier, pk: int):
    return get_object_or_404(
        webhook_endpoint_list_for_supplier(supplier=supplier), pk=pk
    )
