"""The language a user reads the portal and their mail in (表示言語):
chosen in their settings, on the login page before signing in, and never
for the stored PDFs, which stay Japanese."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.emails import email_send_template
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("notification_settings")
LOGIN_URL = reverse("account_login")


def test_a_user_who_chose_english_sees_english(client):
    client.force_login(UserFactory(language="en"))
    response = client.get(SETTINGS_URL)
    page = response.content.decode()
    assert "<h1>Email settings</h1>" in page
    assert "メール受信設定" not in page
    assert '<html lang="en">' in page
    assert response["Content-Language"] == "en"


def test_a_user_who_never_chose_sees_japanese(client):
    client.force_login(UserFactory())
    page = client.get(SETTINGS_URL).content.decode()
    assert "<h1>メール受信設定</h1>" in page
    assert '<html lang="ja">' in page


def test_the_language_is_chosen_in_the_users_settings(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("account_language"), {"language": "en"})
    assert response.status_code == 302
    assert response["Location"] == SETTINGS_URL
    user.refresh_from_db()
    assert user.language == "en"
    page = client.get(SETTINGS_URL).content.decode()
    assert "Your display language was saved." in page
    assert "Email settings" in page
    # And back to Japanese.
    client.post(reverse("account_language"), {"language": "ja"})
    assert "表示言語を保存しました。" in client.get(SETTINGS_URL).content.decode()


def test_an_unknown_language_is_refused_and_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("account_language"), {"language": "xx"}, follow=True)
    user.refresh_from_db()
    assert user.language == ""
    assert "表示言語を選んでください。" in response.content.decode()


def test_the_language_does_not_outlive_the_request(client):
    client.force_login(UserFactory(language="en"))
    client.get(SETTINGS_URL)
    assert translation.get_language() == "ja"


def test_visitors_switch_language_on_the_login_page_without_javascript(client):
    page = client.get(LOGIN_URL).content.decode()
    assert "登録したメールアドレスとパスワードでログインしてください" in page
    # A plain form: the action, the CSRF token, the choices and a button.
    form = re.search(
        r'<form class="[^"]*language-switch"[^>]*action="([^"]+)".*?</form>',
        page,
        re.S,
    )
    assert form
    assert form.group(1) == reverse("set_language")
    assert 'name="csrfmiddlewaretoken"' in form.group(0)
    assert '<option value="en" lang="en"' in form.group(0)
    assert '<button type="submit"' in form.group(0)
    assert "<script" not in form.group(0)

    response = client.post(
        reverse("set_language"), {"language": "en", "next": LOGIN_URL}
    )
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    page = client.get(LOGIN_URL).content.decode()
    assert "log in with your registered email address and password" in page
    assert "ログインしてください" not in page


def test_the_csrf_check_holds_for_the_language_switch():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en"})
    assert response.status_code == 403


def test_a_users_choice_wins_over_the_login_pages(client):
    user = UserFactory(language="ja")
    client.post(reverse("set_language"), {"language": "en", "next": LOGIN_URL})
    client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})
    assert "<h1>メール受信設定</h1>" in client.get(SETTINGS_URL).content.decode()


def test_mail_is_in_each_recipients_language(django_capture_on_commit_callbacks):
    english = UserFactory(language="en")
    japanese = UserFactory(language="ja")
    never_chose = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        email_send_template(
            template="invitation_request_declined",
            to=[english.email, japanese.email, never_chose.email, "new@example.jp"],
            context={
                "request": {"contact_name": "Ichiro", "decline_reason": "-"},
                "municipality": {"name": "Kanoya"},
            },
        )
    sent = {m.to[0]: m for m in mail.outbox}
    assert len(sent) == 4
    message = sent[english.email]
    assert message.subject.startswith("[Invoice Portal] ")
    html = message.alternatives[0][0]
    assert '<html lang="en">' in html
    assert "This email was sent automatically by the Invoice Portal." in html
    for address in (japanese.email, never_chose.email, "new@example.jp"):
        message = sent[address]
        assert message.subject.startswith("[請求書ポータル] ")
        html = message.alternatives[0][0]
        assert '<html lang="ja">' in html
        assert "このメールは請求書ポータルから自動で送信しています。" in html


def test_allauths_mail_is_in_the_account_owners_language(
    client, django_capture_on_commit_callbacks
):
    english = UserFactory(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": english.email})
    (message,) = mail.outbox
    assert message.subject == "[Invoice Portal] Password Reset Email"


def test_stored_pdfs_are_rendered_in_japanese_whoever_asks(monkeypatch):
    from invoices import pdf

    monkeypatch.setattr(
        pdf, "render_to_string", lambda *a, **k: translation.get_language()
    )
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: html.encode())
    with translation.override("en"):
        assert pdf.render_pdf("any.html", {}) == b"ja"
        assert translation.get_language() == "en"


@pytest.mark.urls("tests.accounts.lazy_message_urls")
def test_a_message_given_as_a_lazy_string_is_read_in_the_users_language(client):
    """Messages are stored when the response leaves the messages
    middleware: the user's language must still be active then."""
    client.force_login(UserFactory(language="en"))
    page = client.get("/lazy/", follow=True).content.decode()
    assert "Your email settings were saved." in page
    assert "メール受信設定を保存しました。" not in page
