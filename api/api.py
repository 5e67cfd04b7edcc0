"""The suppliers' REST API (``/api/v1/``), with django-ninja: typed request
and response bodies give the OpenAPI schema and its interactive reference
for free, and the operations stay plain functions over our services."""

from django.conf import settings
from ninja import NinjaAPI
from ninja.throttling import AuthRateThrottle

from api import errors
from api.auth import ApiKeyAuth
from api.endpoints import router
from api.imports import router as imports_router
from api.notices import router as notices_router


class KeyRateThrottle(AuthRateThrottle):
    """Calls per key (``settings.API_RATE_LIMIT``, read on each call so
    that a changed setting applies without a restart of the module)."""

    def __init__(self):
        super().__init__(settings.API_RATE_LIMIT)

    def allow_request(self, request) -> bool:
        self.num_requests, self.duration = self.parse_rate(settings.API_RATE_LIMIT)
        return super().allow_request(request)


api = NinjaAPI(
    title="請求書ポータル API",
    version="1",
    description=(
        "取引先の販売・会計システムから請求書を登録・発行し、"
        "状態や支払を確認するための API です。"
        "使い方はポータルの「API連携」の説明ページを参照してください。"
    ),
    urls_namespace="api",
    auth=ApiKeyAuth(),
    throttle=[KeyRateThrottle()],
    docs_url="/reference/",
)
api.add_router("/", router)
api.add_router("/", imports_router)
api.add_router("/", notices_router)
errors.register(api)
