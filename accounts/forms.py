from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import NotificationSettings


class InvitedSignupForm(forms.Form):
    """Name and password of a person creating an account from an invitation;
    the email address comes from the invitation."""

    name = forms.CharField(label=_("氏名"), max_length=100)
    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("10文字以上。推測されにくいものにしてください。"),
    )
    password2 = forms.CharField(
        label=_("パスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", gettext("確認用のパスワードが一致しません。"))
        elif password1:
            from accounts.models import User

            try:
                validate_password(
                    password1, User(email=self.email, name=cleaned.get("name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["invoice_events", "reminders", "payment_notices", "announcements"]


class LanguageForm(forms.Form):
    """The language of a user's pages and mail (表示言語)."""

    language = forms.ChoiceField(label=_("表示言語"), choices=settings.LANGUAGES)


class VerifiedResetPasswordForm(ResetPasswordForm):
    """Password reset that mails only a verified address (one an invitation
    or a platform administrator confirmed) of an active account. For any
    other address nothing is sent, and the page answers the same, so it
    tells nobody which addresses have accounts."""

    def clean_email(self):
        email = super().clean_email()
        verified = EmailAddress.objects.filter(
            email__iexact=email, verified=True, user__is_active=True
        ).select_related("user")
        self.users = [address.user for address in verified]
        return email
