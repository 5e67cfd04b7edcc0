from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext
from django.views.generic import FormView

from accounts.forms import LanguageForm, NotificationSettingsForm
from accounts.models import NotificationSettings
from accounts.services import notification_settings_update, user_language_set


class NotificationSettingsView(LoginRequiredMixin, FormView):
    """メール受信設定 for every logged-in user, staff and suppliers alike.
    Mail about the account itself is always sent and is not listed."""

    template_name = "accounts/notification_settings.html"
    form_class = NotificationSettingsForm
    success_url = reverse_lazy("notification_settings")

    def get_form_kwargs(self):
        user = self.request.user
        # Users who never saved get every kind (accounts.notifications).
        settings = NotificationSettings.objects.filter(user=user).first()
        return {
            **super().get_form_kwargs(),
            "instance": settings or NotificationSettings(user=user),
        }

    def get_context_data(self, **kwargs):
        language = self.request.user.language or settings.LANGUAGE_CODE
        return {
            **super().get_context_data(**kwargs),
            "language_form": LanguageForm(initial={"language": language}),
        }

    def form_valid(self, form):
        notification_settings_update(user=self.request.user, **form.cleaned_data)
        messages.success(self.request, gettext("メール受信設定を保存しました。"))
        return super().form_valid(form)


class LanguageView(LoginRequiredMixin, FormView):
    """表示言語: the language of the user's pages and mail. Shown on the
    メール受信設定 page, where a user looks for their own settings."""

    form_class = LanguageForm
    http_method_names = ["post"]
    success_url = reverse_lazy("notification_settings")

    def form_valid(self, form):
        language = form.cleaned_data["language"]
        user_language_set(user=self.request.user, language=language)
        with translation.override(language):
            messages.success(self.request, gettext("表示言語を保存しました。"))
        return super().form_valid(form)

    def form_invalid(self, form):
        messages.error(self.request, gettext("表示言語を選んでください。"))
        return redirect(self.success_url)
