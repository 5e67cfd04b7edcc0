"""The language a request is answered in."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


def language_for(request) -> str:
    """The signed-in user's chosen language; else the one chosen on the
    login page (Django's ``set_language`` cookie); else the site's
    (Japanese). The browser's Accept-Language is not consulted: the portal
    is Japanese unless someone asks otherwise."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in _SUPPORTED:
        return user.language
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in _SUPPORTED else settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """Runs the view and the rendering of its page in ``language_for``;
    after ``AuthenticationMiddleware``. The language is let go afterwards,
    so nothing else in the thread (a task run eagerly, a test) inherits
    it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
