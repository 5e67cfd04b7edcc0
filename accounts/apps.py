from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("利用者・送信メール")

    def ready(self):
        from accounts import form_messages

        form_messages.install()
