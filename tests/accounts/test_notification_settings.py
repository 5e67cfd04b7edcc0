import pytest
from django.urls import reverse

from accounts.models import NotificationSettings, User
from accounts.notifications import Notification, recipients_wanting, user_wants
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("notification_settings")
ALL_ON = {kind.value: "on" for kind in Notification}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ["supplier", "treasury", "no_role"])
def test_every_logged_in_user_has_the_page(client, role, tenant, supplier_user):
    user = {
        "supplier": supplier_user,
        "treasury": tenant.treasury,
        "no_role": UserFactory(),
    }[role]
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert "メール受信設定" in page
    # Users who never saved get every kind, so every box starts ticked.
    assert page.count("checked") == len(Notification)


def test_settings_are_saved_and_honoured_by_user_wants(client, supplier_user):
    client.force_login(supplier_user)
    data = {**ALL_ON}
    del data[Notification.REMINDERS]
    del data[Notification.ANNOUNCEMENTS]
    response = client.post(URL, data)
    assert response.status_code == 302
    assert response["Location"] == URL

    settings = NotificationSettings.objects.get(user=supplier_user)
    assert not settings.reminders
    assert not settings.announcements
    assert user_wants(supplier_user, Notification.INVOICE_EVENTS)
    assert user_wants(supplier_user, Notification.PAYMENT_NOTICES)
    assert not user_wants(supplier_user, Notification.REMINDERS)
    assert not user_wants(supplier_user, Notification.ANNOUNCEMENTS)

    # Saving again updates the one row.
    client.post(URL, ALL_ON)
    assert NotificationSettings.objects.filter(user=supplier_user).count() == 1
    assert user_wants(supplier_user, Notification.REMINDERS)


def test_recipients_wanting_leaves_out_who_turned_a_kind_off(client):
    never_saved = UserFactory()
    opted_out = UserFactory()
    opted_in = UserFactory()
    inactive = UserFactory(is_active=False)
    for user, data in [(opted_out, {}), (opted_in, ALL_ON)]:
        client.force_login(user)
        client.post(URL, data)
    users = User.objects.filter(pk__in=[never_saved.pk, opted_out.pk, opted_in.pk])
    users = users | User.objects.filter(pk=inactive.pk)

    assert sorted(recipients_wanting(users, Notification.PAYMENT_NOTICES)) == sorted(
        [never_saved.email, opted_in.email]
    )
    assert user_wants(never_saved, Notification.PAYMENT_NOTICES)
    assert not user_wants(opted_out, Notification.PAYMENT_NOTICES)
