import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from accounts.emails import email_send

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: accounts come from invitations. Mail goes via Celery."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        email_send(message=self.render_mail(template_prefix, email, ctx))

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's client address, except that a request with fewer
        ``X-Forwarded-For`` entries than ``ALLAUTH_TRUSTED_PROXY_COUNT`` (one
        that did not pass all our proxies) is counted by the address that
        reached us, not answered with a server error."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning(
                "X-Forwarded-For has fewer entries than ALLAUTH_TRUSTED_PROXY_COUNT"
            )
            return request.META["REMOTE_ADDR"]
