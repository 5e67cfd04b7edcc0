"""Login addresses stay verified: nobody switches theirs to an address
nobody has verified, and password reset mails only verified addresses."""

from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("verified_email", [True, False])
def test_login_address_cannot_be_switched_to_an_unverified_one(
    client, mailoutbox, verified_email
):
    user = UserFactory(verified_email=verified_email)
    old = user.email
    client.force_login(user)

    client.post("/accounts/email/", {"action_add": "", "email": "attacker@example.jp"})
    client.post(
        "/accounts/email/", {"action_primary": "", "email": "attacker@example.jp"}
    )

    user.refresh_from_db()
    assert user.email == old
    assert not EmailAddress.objects.filter(email="attacker@example.jp").exists()
    assert mailoutbox == []


def test_the_address_page_says_who_can_change_it(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("account_email"))

    assert response.status_code == 200
    page = response.content.decode()
    assert user.email in page
    assert "確認されていないアドレスに変更することはできません" in page
    assert client.post(reverse("account_email"), {}).status_code == 405


def _reset(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": email})
    # The same answer whatever the address: it tells nobody what exists.
    assert response["Location"] == reverse("account_reset_password_done")


def test_password_reset_mails_a_verified_address(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory()

    _reset(client, user.email, django_capture_on_commit_callbacks)

    (message,) = mailoutbox
    assert message.to == [user.email]
    assert "/accounts/password/reset/key/" in message.body


def test_password_reset_for_an_unverified_address_sends_no_mail(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    unverified = UserFactory(verified_email=False)
    EmailAddress.objects.create(
        user=unverified, email=unverified.email, verified=False, primary=True
    )
    no_address_row = UserFactory(verified_email=False)
    secondary = UserFactory()
    EmailAddress.objects.create(
        user=secondary, email="secondary@example.jp", verified=False
    )

    for email in (
        unverified.email,
        no_address_row.email,
        "secondary@example.jp",
        "nobody@example.jp",
    ):
        _reset(client, email, django_capture_on_commit_callbacks)

    assert mailoutbox == []


def test_password_reset_skips_inactive_accounts(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(is_active=False)

    _reset(client, user.email, django_capture_on_commit_callbacks)

    assert mailoutbox == []


def _admin_user_form(admin_client, url, **fields):
    """The admin's user form as loaded, with ``fields`` changed."""
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        "email": form.initial.get("email", ""),
        "name": form.initial.get("name", ""),
        "is_active": "on",
    }
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS"):
            data[f"{inline.formset.prefix}-{name}"] = management.initial[name]
    return {**data, **fields}


def test_admin_change_of_address_moves_the_verified_address(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    user = UserFactory(email="old@example.jp")
    url = reverse("admin:accounts_user_change", args=[user.pk])

    response = client.post(url, _admin_user_form(client, url, email="new@example.jp"))
    assert response.status_code == 302

    assert list(
        EmailAddress.objects.filter(user=user).values_list(
            "email", "verified", "primary"
        )
    ) == [("new@example.jp", True, True)]
    _reset(client, "old@example.jp", django_capture_on_commit_callbacks)
    assert mailoutbox == []
    _reset(client, "new@example.jp", django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [["new@example.jp"]]


def test_an_account_made_in_the_admin_has_a_verified_address(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:accounts_user_add")

    response = client.post(
        url,
        _admin_user_form(
            client,
            url,
            email="staff@example.jp",
            name="新しい 職員",
            password1="a-long-new-password-2026",
            password2="a-long-new-password-2026",
        ),
    )

    assert response.status_code == 302
    assert EmailAddress.objects.filter(
        email="staff@example.jp", verified=True, primary=True
    ).exists()


def test_migration_verifies_login_addresses_of_accounts_without_any():
    migration = import_module(
        "accounts.migrations.0005_verify_login_addresses_without_emailaddress"
    )
    bare = UserFactory(verified_email=False)
    unverified = UserFactory(verified_email=False)
    EmailAddress.objects.create(
        user=unverified, email=unverified.email, verified=False, primary=True
    )

    migration.verify_login_addresses(apps, None)

    assert EmailAddress.objects.get(user=bare).verified
    assert not EmailAddress.objects.get(user=unverified).verified
