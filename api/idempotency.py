"""Idempotency keys: every write names one (``Idempotency-Key`` header);
the same key with the same body gets the first answer again instead of a
second invoice, the same key with another body is refused."""

import hashlib
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from ninja.responses import Status

from api.errors import ApiError
from api.models import IdempotentRequest
from api.services.idempotency import idempotent_answer_record

HEADER = "Idempotency-Key"


def _request_hash(request) -> str:
    """What the request asks: its method, path and body; for an upload
    (the body is already read into files) its fields and files' contents."""
    digest = hashlib.sha256()
    parts = [request.method.encode(), request.path.encode()]
    if request.content_type == "multipart/form-data":
        parts += [f"{k}={v}".encode() for k, v in sorted(request.POST.items())]
        for name, upload in sorted(request.FILES.items()):
            parts.append(name.encode())
            parts += list(upload.chunks())
            upload.seek(0)
    else:
        parts.append(request.body)
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def idempotent(view):
    """For a write endpoint that returns ``(status, json_body)``. The write
    and the record of its answer commit together, so two requests racing
    with one key cannot both write: the second is refused (409)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or len(key) > 100:
            raise ApiError(
                400,
                gettext(
                    "書き込みには Idempotency-Key ヘッダー（100文字まで、"
                    "要求ごとに新しい値。例: UUID）を付けてください。"
                    "同じ値で送り直すと、二重に登録されずに最初の結果が返ります。"
                ),
            )
        digest = _request_hash(request)
        stored = IdempotentRequest.objects.filter(api_key=request.auth, key=key).first()
        if stored is not None:
            if stored.request_hash != digest:
                raise ApiError(
                    422,
                    gettext(
                        "この Idempotency-Key は別の内容の要求に使われています。"
                        "新しい要求には新しい値を使ってください。"
                    ),
                )
            return Status(stored.status, stored.body)
        try:
            with transaction.atomic():
                status, body = view(request, *args, **kwargs)
                idempotent_answer_record(
                    api_key=request.auth,
                    actor=request.user,
                    key=key,
                    request_hash=digest,
                    status=status,
                    body=body,
                )
        except IntegrityError as error:
            if not IdempotentRequest.objects.filter(
                api_key=request.auth, key=key
            ).exists():
                raise
            raise ApiError(
                409,
                gettext(
                    "同じ Idempotency-Key の要求を処理しました。"
                    "少し待ってから同じ要求を送り直すと、その結果が返ります。"
                ),
            ) from error
        return Status(status, body)

    return wrapper
