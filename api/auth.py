"""Authentication of API calls by key (``Authorization: Bearer ipk_…``)."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from api.models import ApiKey
from api.services.keys import api_key_authenticate

SCHEME_DESCRIPTION = (
    "取引先の管理者がポータルの「API連携」で作成したキー (Authorization: Bearer ipk_…)"
)


class ApiKeyAuth(HttpBearer):
    openapi_description = SCHEME_DESCRIPTION

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(token=token)
        if key is not None:
            # The key acts as the owner who made it (services need a user).
            request.user = key.created_by
        return key
