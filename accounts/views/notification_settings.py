from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.views.generic import FormView

from accounts.forms import NotificationSettingsForm
from accounts.models import NotificationSettings
from accounts.services import notification_settings_update


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

    def form_valid(self, form):
        notification_settings_update(user=self.request.user, **form.cleaned_data)
        messages.success(self.request, "メール受信設定を保存しました。")
        return super().form_valid(form)
