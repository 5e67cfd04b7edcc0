"""HTTP hardening that holds for every response, whatever the view:

- ``ContentSecurityPolicyMiddleware``: the ``Content-Security-Policy`` of
  ``settings.CONTENT_SECURITY_POLICY``; pages run only scripts and styles
  from our own static files.
- ``CacheControlMiddleware``: no cache, shared or private, keeps a download
  (invoice PDF, CSV, ZIP, Zengin file, payment notice, attachment, seal
  image) or a page shown to a signed-in user.
- ``RequestBodyLimitMiddleware``: a request whose body is longer than
  ``settings.REQUEST_BODY_MAX_BYTES`` is refused (413) from its
  ``Content-Length`` header, before a byte of the body is read.
- ``RequestIdMiddleware``: the request's id (``config.request_ids``) in the
  response's ``X-Request-ID`` and in every log line written meanwhile.
"""

import base64
import hashlib
from functools import cache

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string

from config.request_ids import HEADER, request_id_get, request_id_reset, request_id_set

NO_STORE = "no-store, private"


@cache
def _inline_style_hashes() -> tuple[str, ...]:
    """CSP sources for the ``<style>`` blocks whose content is one of
    ``settings.CSP_INLINE_STYLE_TEMPLATES`` (the printable invoice keeps its
    styles inline, so that a saved page opens with no server)."""
    sources = []
    for name in settings.CSP_INLINE_STYLE_TEMPLATES:
        digest = hashlib.sha256(render_to_string(name).encode()).digest()
        sources.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return tuple(sources)


@cache
def content_security_policy() -> str:
    directives = {
        name: list(sources)
        for name, sources in settings.CONTENT_SECURITY_POLICY.items()
    }
    directives["style-src"] = [*directives["style-src"], *_inline_style_hashes()]
    return "; ".join(
        f"{name} {' '.join(sources)}" for name, sources in directives.items()
    )


class ContentSecurityPolicyMiddleware:
    """Sets the policy on every response, except error pages under DEBUG:
    Django's technical 404 and 500 pages style themselves inline."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not (settings.DEBUG and response.status_code >= 400):
            response.setdefault("Content-Security-Policy", content_security_policy())
        return response


def is_download(response: HttpResponse) -> bool:
    """A file rather than a page: it names itself (``Content-Disposition``,
    inline or attachment) or is streamed (``FileResponse``)."""
    return response.has_header("Content-Disposition") or isinstance(
        response, StreamingHttpResponse
    )


class CacheControlMiddleware:
    """Downloads are never stored by any cache, whatever the view said: the
    files hold invoices, bank accounts and payments. Pages for signed-in
    users are not stored either, unless the view chose otherwise: on a
    shared office computer, the browser's back button after logging out
    must not show them again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if is_download(response):
            response["Cache-Control"] = NO_STORE
        elif user is not None and user.is_authenticated:
            response.setdefault("Cache-Control", NO_STORE)
        return response


class RequestBodyLimitMiddleware:
    """Refuses a body longer than ``settings.REQUEST_BODY_MAX_BYTES`` with
    413 and a page that says what to do, judging by ``Content-Length``
    alone so that nothing of it is read, parsed or stored. A body without
    ``Content-Length`` (chunked) is never read by Django under WSGI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return self.too_large(length)
        return self.get_response(request)

    @staticmethod
    def too_large(length: int) -> HttpResponse:
        # Rendered without the request: the session and user are not loaded
        # yet, and the header shows no account menu.
        content = render_to_string(
            "413.html",
            {
                "size": filesizeformat(length),
                "max_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
            },
        )
        return HttpResponse(content, status=413)


class RequestIdMiddleware:
    """First of all, so that every response carries the id, redirects and
    refusals included, and every log line of the request shows it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_id_set(request.headers.get(HEADER))
        try:
            response = self.get_response(request)
            response[HEADER] = request_id_get()
            return response
        finally:
            request_id_reset(token)
