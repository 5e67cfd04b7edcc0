"""allauth's apps under names of their own (INSTALLED_APPS names these
instead of ``allauth.account`` and ``allauth.mfa``): in the admin, its
"Accounts" (アカウント, like ours) holds the sign-in email addresses, and its
"MFA" is what the portal calls 二段階認証 everywhere. A module apart from
``accounts.apps``, whose one AppConfig Django picks for ``accounts``."""

from allauth.account.apps import AccountConfig
from allauth.mfa.apps import MFAConfig
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class AllauthAccountConfig(AccountConfig):
    verbose_name = _("ログイン用メールアドレス")


class AllauthMfaConfig(MFAConfig):
    verbose_name = _("二段階認証")

    def ready(self) -> None:
        super().ready()
        # The model declares no names ("Authenticators" in every language).
        # Only the labels change: migrations read Meta's original_attrs, so
        # no migration of allauth's app follows.
        options = self.get_model("Authenticator")._meta
        options.verbose_name = pgettext_lazy("one authenticator", "二段階認証の手段")
        options.verbose_name_plural = _("二段階認証の手段")
