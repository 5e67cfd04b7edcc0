import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tokens import token_digest, token_new
from partners.models import (
    InvitationStatus,
    MemberInvitation,
    SupplierMembership,
    SupplierRole,
)
from partners.services.members import INVITATION_VALID_DAYS
from tests.factories import PASSWORD, SupplierMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS_URL = reverse("supplier:members")
NEW_PASSWORD = "kanoya-seal-2025-long"


@pytest.fixture
def owner(supplier_user):
    return supplier_user


@pytest.fixture
def supplier(owner):
    return owner.supplier_membership.supplier


@pytest.fixture
def clerk(supplier):
    return SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK).user


def _invitation(supplier, *, email="colleague@example.jp", **fields):
    """An invitation and the path of its link."""
    token, digest = token_new()
    fields.setdefault(
        "expires_at", timezone.now() + timedelta(days=INVITATION_VALID_DAYS)
    )
    invitation = MemberInvitation.objects.create(
        supplier=supplier, email=email, token_digest=digest, **fields
    )
    return invitation, reverse("invitations:member_accept", kwargs={"token": token})


def _signup(client, url, name="新しい担当者"):
    return client.post(
        url, {"name": name, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Members page -----------------------------------------------------------


def test_owner_sees_members_and_pending_invitations(client, owner, clerk, supplier):
    _invitation(supplier, email="pending@example.jp")
    _invitation(supplier, email="revoked@example.jp", status=InvitationStatus.REVOKED)
    client.force_login(owner)
    page = client.get(MEMBERS_URL).content.decode()
    assert owner.email in page
    assert clerk.email in page
    assert "pending@example.jp" in page
    assert "revoked@example.jp" not in page


def test_clerk_gets_404_on_every_member_page(client, clerk, owner, supplier):
    invitation, _ = _invitation(supplier)
    membership = owner.supplier_membership
    client.force_login(clerk)
    assert client.get(MEMBERS_URL).status_code == 404
    assert client.get(reverse("supplier:member_invite")).status_code == 404
    for name, pk in [
        ("supplier:member_remove", membership.pk),
        ("supplier:member_role", membership.pk),
        ("supplier:member_invitation_resend", invitation.pk),
        ("supplier:member_invitation_revoke", invitation.pk),
    ]:
        assert client.post(reverse(name, args=[pk])).status_code == 404
    assert SupplierMembership.objects.filter(pk=membership.pk).exists()


def test_another_suppliers_members_are_404(client, owner, other_supplier_user):
    other = other_supplier_user.supplier_membership
    client.force_login(owner)
    url = reverse("supplier:member_remove", args=[other.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert SupplierMembership.objects.filter(pk=other.pk).exists()


# Inviting ----------------------------------------------------------------


def test_invitation_email_has_subject_recipient_and_absolute_link(
    client, owner, supplier, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example.jp"
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("supplier:member_invite"),
            {"email": "Colleague@Example.JP", "role": SupplierRole.CLERK},
        )
    assert response.status_code == 302
    assert response["Location"] == MEMBERS_URL

    invitation = MemberInvitation.objects.get(supplier=supplier)
    assert invitation.email == "colleague@example.jp"
    assert invitation.invited_by == owner
    assert invitation.sent_count == 1
    expected_expiry = timezone.now() + timedelta(days=14)
    assert abs(invitation.expires_at - expected_expiry) < timedelta(minutes=1)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["colleague@example.jp"]
    assert message.subject == (
        f"[請求書ポータル] {supplier.legal_name} の利用者として招待されました"
    )
    link = re.search(
        r"https://portal\.example\.jp/invitations/member/(\S+)/", message.body
    )
    assert link is not None
    token = link.group(1)
    # Only the digest is stored.
    assert invitation.token_digest == token_digest(token)
    assert not MemberInvitation.objects.filter(token_digest=token).exists()
    assert client.get(link.group(0).removeprefix(settings.SITE_URL)).status_code == 200


def test_inviting_a_member_or_a_pending_address_again_is_refused(
    client, owner, clerk, supplier
):
    _invitation(supplier, email="pending@example.jp")
    client.force_login(owner)
    url = reverse("supplier:member_invite")
    response = client.post(url, {"email": clerk.email.upper(), "role": "clerk"})
    assert "すでにこの取引先の利用者です" in response.content.decode()
    response = client.post(url, {"email": "pending@example.jp", "role": "owner"})
    assert "すでに招待を送っています" in response.content.decode()
    assert MemberInvitation.objects.count() == 1


def test_resend_gives_a_new_link_and_the_old_one_stops_working(
    client, owner, supplier, django_capture_on_commit_callbacks
):
    invitation, old_url = _invitation(
        supplier, expires_at=timezone.now() - timedelta(days=1), sent_count=1
    )
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("supplier:member_invitation_resend", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.sent_count == 2
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    new_path = re.search(r"/invitations/member/\S+/", mail.outbox[0].body).group(0)
    client.logout()
    assert client.get(old_url).status_code == 404
    assert client.get(new_path).status_code == 200


def test_revoked_invitation_link_says_so(client, owner, supplier):
    invitation, url = _invitation(supplier)
    client.force_login(owner)
    revoke = reverse("supplier:member_invitation_revoke", args=[invitation.pk])
    assert client.post(revoke).status_code == 302
    # A second click changes nothing.
    assert client.post(revoke).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    client.logout()
    page = client.get(url).content.decode()
    assert "この招待は取り消されました" in page
    _signup(client, url)
    assert not User.objects.filter(email=invitation.email).exists()


# Accepting ---------------------------------------------------------------


def test_unknown_token_is_404_with_a_clear_page(client):
    url = reverse("invitations:member_accept", kwargs={"token": "no-such-token"})
    response = client.get(url)
    assert response.status_code == 404
    assert "このリンクは使えません" in response.content.decode()


def test_new_person_creates_account_joins_and_owners_are_told(
    client, owner, supplier, django_capture_on_commit_callbacks
):
    invitation, url = _invitation(supplier, role=SupplierRole.CLERK, invited_by=owner)
    page = client.get(url).content.decode()
    assert "アカウントの作成" in page
    assert invitation.email in page

    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, url)
    assert response.status_code == 302
    assert response["Location"] == reverse("supplier:home")
    user = User.objects.get(email=invitation.email)
    assert user.check_password(NEW_PASSWORD)
    assert user.supplier_membership.supplier == supplier
    assert user.supplier_membership.role == SupplierRole.CLERK
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("supplier:home")).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == user

    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "新しい担当者 さんが" in mail.outbox[0].subject


def test_accepting_twice_creates_one_account_and_one_membership(client, supplier):
    _, url = _invitation(supplier)
    _signup(client, url)
    response = _signup(client, url)
    assert response.status_code == 302
    assert response["Location"] == reverse("supplier:home")
    assert "この招待はすでに承諾済みです" in " ".join(_messages(response))
    # The same link opened again by the same person.
    assert client.get(url)["Location"] == reverse("supplier:home")

    other_browser = client.__class__()
    response = _signup(other_browser, url, name="二人目")
    assert "この招待はすでに使われています" in response.content.decode()
    assert User.objects.filter(email="colleague@example.jp").count() == 1
    assert SupplierMembership.objects.filter(supplier=supplier).count() == 2
    assert not User.objects.filter(name="二人目").exists()


def test_invalid_signup_form_shows_errors_and_creates_nothing(client, supplier):
    _, url = _invitation(supplier)
    response = client.post(
        url, {"name": "担当", "password1": NEW_PASSWORD, "password2": "different"}
    )
    assert "確認用のパスワードが一致しません" in response.content.decode()
    assert not User.objects.filter(email="colleague@example.jp").exists()


def test_expired_invitation_says_what_to_do(client, supplier):
    _, url = _invitation(supplier, expires_at=timezone.now() - timedelta(minutes=1))
    assert "招待の有効期限が切れています" in client.get(url).content.decode()
    response = _signup(client, url)
    assert "招待の有効期限が切れています" in response.content.decode()
    assert not User.objects.filter(email="colleague@example.jp").exists()


def test_logged_in_with_another_address_offers_logout(client, supplier, owner):
    invitation, url = _invitation(supplier)
    stranger = UserFactory()
    client.force_login(stranger)
    page = client.get(url).content.decode()
    assert "別のアカウントでログインしています" in page
    assert reverse("account_logout") in page
    response = client.post(url)
    assert "別のアカウントでログインしています" in response.content.decode()
    assert not hasattr(User.objects.get(pk=stranger.pk), "supplier_membership")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_user_of_another_supplier_cannot_join(client, supplier, other_supplier_user):
    _, url = _invitation(supplier, email=other_supplier_user.email)
    client.force_login(other_supplier_user)
    page = client.get(url).content.decode()
    assert "1つのアカウントは1つの取引先にだけ所属できます" in page
    client.post(url)
    membership = SupplierMembership.objects.get(user=other_supplier_user)
    assert membership.supplier != supplier


def test_existing_account_is_asked_to_log_in_first(client, supplier):
    user = UserFactory(email="colleague@example.jp")
    _, url = _invitation(supplier)
    page = client.get(url).content.decode()
    assert "ログインしてから参加してください" in page
    assert f"{reverse('account_login')}?next={url}" in page
    # Posting a sign-up form does not take over the existing account.
    _signup(client, url)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not SupplierMembership.objects.filter(user=user).exists()


def test_logged_in_user_without_supplier_confirms_and_joins(
    client, supplier, django_capture_on_commit_callbacks
):
    user = UserFactory(email="colleague@example.jp")
    _, url = _invitation(supplier, role=SupplierRole.OWNER)
    client.force_login(user)
    assert "参加する" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response["Location"] == reverse("supplier:home")
    assert user.supplier_membership.role == SupplierRole.OWNER
    response = client.post(url)
    assert response["Location"] == reverse("supplier:home")
    assert SupplierMembership.objects.filter(user=user).count() == 1


def test_existing_member_is_told_and_keeps_their_role(client, owner, supplier):
    _, url = _invitation(supplier, email=owner.email, role=SupplierRole.CLERK)
    client.force_login(owner)
    assert "すでに参加しています" in client.get(url).content.decode()
    client.post(url)
    assert SupplierMembership.objects.get(user=owner).role == SupplierRole.OWNER


# Removing and roles -------------------------------------------------------


def test_last_owner_cannot_be_removed_or_demoted(client, owner, clerk):
    membership = owner.supplier_membership
    client.force_login(owner)
    response = client.post(reverse("supplier:member_remove", args=[membership.pk]))
    assert "最後の管理者は削除できません" in " ".join(_messages(response))
    response = client.post(
        reverse("supplier:member_role", args=[membership.pk]), {"role": "clerk"}
    )
    assert "最後の管理者を担当者に変更することはできません" in " ".join(
        _messages(response)
    )
    membership.refresh_from_db()
    assert membership.role == SupplierRole.OWNER


def test_owner_promotes_a_clerk_and_may_then_leave(client, owner, clerk):
    client.force_login(owner)
    clerk_membership = clerk.supplier_membership
    client.post(
        reverse("supplier:member_role", args=[clerk_membership.pk]), {"role": "owner"}
    )
    clerk_membership.refresh_from_db()
    assert clerk_membership.role == SupplierRole.OWNER

    own = owner.supplier_membership
    assert (
        client.get(reverse("supplier:member_remove", args=[own.pk])).status_code == 200
    )
    response = client.post(reverse("supplier:member_remove", args=[own.pk]))
    assert response["Location"] == reverse("home")
    assert not SupplierMembership.objects.filter(user=owner).exists()
    assert client.get(MEMBERS_URL).status_code == 404


def test_owner_removes_a_clerk(client, owner, clerk):
    client.force_login(owner)
    response = client.post(
        reverse("supplier:member_remove", args=[clerk.supplier_membership.pk])
    )
    assert response["Location"] == MEMBERS_URL
    assert not SupplierMembership.objects.filter(user=clerk).exists()
    assert User.objects.filter(pk=clerk.pk).exists()
