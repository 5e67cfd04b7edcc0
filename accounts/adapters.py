import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils import translation

from accounts.emails import email_send, email_subject_prefix
from accounts.models import User

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: accounts come from invitations. Mail goes via Celery."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's account mail (password reset…), in the language of the
        account it goes to; to an unknown address, in the page's."""
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        language = (
            User.objects.filter(email__iexact=email)
            .values_list("language", flat=True)
            .first()
        )
        with translation.override(language or translation.get_language()):
            message = self.render_mail(template_prefix, email, ctx)
        email_send(message=message)

    def format_email_subject(self, subject: str) -> str:
        return email_subject_prefix() + str(subject)

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
