"""Refusals as JSON: a message in Japanese and, for bad input, one item per
field, the way the screens word them."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext, gettext_lazy as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

BAD_INPUT = _("入力に誤りがあります。errors の各項目を確認してください。")

# Pydantic's error types, in the words of the entry screen.
_TYPE_MESSAGES = {
    "missing": _("必須の項目です。"),
    "decimal_parsing": _("数値で指定してください。"),
    "decimal_type": _("数値で指定してください。"),
    "int_parsing": _("整数で指定してください。"),
    "int_type": _("整数で指定してください。"),
    "date_from_datetime_parsing": _("日付は YYYY-MM-DD の形で指定してください。"),
    "date_parsing": _("日付は YYYY-MM-DD の形で指定してください。"),
    "date_type": _("日付は YYYY-MM-DD の形で指定してください。"),
    "string_type": _("文字列で指定してください。"),
    "bool_parsing": _("true か false で指定してください。"),
    "bool_type": _("true か false で指定してください。"),
    "list_type": _("配列で指定してください。"),
    "model_attributes_type": _("オブジェクトで指定してください。"),
    "json_invalid": _("JSONとして読めません。"),
}


class ApiError(Exception):
    """A refusal with its HTTP status, message and field errors."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


def field_path(loc) -> str | None:
    """``("body", "payload", "lines", 2, "quantity")`` → ``lines.2.quantity``."""
    parts = [str(part) for part in loc if part not in ("body", "payload", "query")]
    return ".".join(parts) or None


def errors_of(error: DjangoValidationError, prefix: str = "") -> list[dict]:
    if hasattr(error, "error_dict"):
        return [
            {"field": f"{prefix}{name}" if name != "__all__" else None, "message": m}
            for name, errors in error.error_dict.items()
            for m in DjangoValidationError(errors).messages
        ]
    return [{"field": None, "message": m} for m in error.messages]


def register(api) -> None:
    def body(message, errors=()):
        return {"message": str(message), "errors": list(errors)}

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return api.create_response(
            request, body(exc.message, exc.errors), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def bad_input(request, exc: ValidationError):
        errors = [
            {
                "field": field_path(error.get("loc", ())),
                "message": str(
                    _TYPE_MESSAGES.get(error.get("type"), _("値が正しくありません。"))
                ),
            }
            for error in exc.errors
        ]
        return api.create_response(request, body(BAD_INPUT, errors), status=422)

    @api.exception_handler(DjangoValidationError)
    def refused(request, exc: DjangoValidationError):
        return api.create_response(request, body(BAD_INPUT, errors_of(exc)), status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        message = gettext(
            "APIキーがないか、正しくないか、無効です。"
            "取引先の管理者がポータルの「API連携」で発行したキーを"
            "Authorization: Bearer の形で送ってください。"
        )
        return api.create_response(request, body(message), status=401)

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        message = gettext(
            "呼び出しが多すぎます。Retry-After の秒数だけ待ってから送り直してください。"
        )
        return api.create_response(request, body(message), status=429)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, body(str(exc)), status=exc.status_code)

    from django.http import Http404

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(
            request, body(gettext("見つかりません。")), status=404
        )
