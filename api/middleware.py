from accounts.ratelimit import client_ip
from api.idempotency import HEADER
from api.models import ApiKey
from api.services.keys import api_call_record


class ApiCallLogMiddleware:
    """Logs every call authenticated by an API key (API利用記録), refused
    ones included, after the answer is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "auth", None)
        if isinstance(key, ApiKey):
            api_call_record(
                api_key=key,
                actor=key.created_by,
                method=request.method,
                path=request.get_full_path(),
                status=response.status_code,
                idempotency_key=request.headers.get(HEADER, ""),
                client_ip=client_ip(request),
            )
        return response
