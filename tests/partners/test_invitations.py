"""Invitation requests, the city's invitation console and acceptance."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import User
from municipality.models import StaffRole
from partners.models import (
    Connection,
    Invitation,
    InvitationRequest,
    InvitationRequestStatus,
    InvitationStatus,
    Supplier,
    SupplierMembership,
    SupplierRole,
)
from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    StaffMembershipFactory,
    SupplierFactory,
    UserFactory,
)

# Transactional, so that mail queued with transaction.on_commit goes out as
# each request commits, as it does in production.
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://127\.0\.0\.1:8000(/invitations/[\w-]+/)")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mails():
    return mail.outbox


def _request_data(tenant, **overrides):
    data = {
        "company_name": "株式会社かのや商事",
        "company_name_kana": "かぶしきがいしゃかのやしょうじ",
        "registration_number": "Ｔ７１２０００１１６８４２１",
        "contact_name": "鹿屋 一郎",
        "email": "ichiro@kanoya-shoji.example.jp",
        "phone": "０９９４－１２－３４５６",
        "departments": [tenant.department.pk, tenant.other_department.pk],
        "message": "文具を納品しています。",
        "website": "",
    }
    data.update(overrides)
    return data


def _link(message) -> str:
    return LINK.search(message.body).group(1)


def _invite(client, tenant, mails, email="new@example.jp", departments=None):
    client.force_login(tenant.city_admin)
    response = client.post(
        reverse("city:invitation_create", args=["kanoya"]),
        {
            "email": email,
            "company_name": "株式会社あたらし",
            "departments": departments or [tenant.department.pk],
        },
    )
    assert response.status_code == 302
    client.logout()
    return _link(mails[-1])


def _supplier_data(**overrides):
    data = {
        "name": "新井 花子",
        "password1": "a-long-unique-password",
        "password2": "a-long-unique-password",
        "supplier-legal_name": "株式会社あたらし",
        "supplier-name_kana": "カブシキガイシャアタラシ",
        "supplier-legal_form": "corporation",
        "supplier-registration_number": "T9011101097073",
        "supplier-corporate_number": "",
        "supplier-postal_code": "893-0000",
        "supplier-address": "鹿児島県鹿屋市",
        "supplier-phone": "",
        "supplier-tax_rounding": "floor",
        "supplier-default_price_basis": "exclusive",
    }
    data.update(overrides)
    return data


# The public request form ------------------------------------------------------


def test_request_form_lists_only_active_departments_of_its_municipality(
    client, tenant, other_tenant
):
    with scopes_disabled():
        tenant.other_department.is_active = False
        tenant.other_department.save()
    page = client.get("/p/kanoya/request/").content.decode()
    assert tenant.department.name in page
    assert tenant.other_department.name not in page
    assert other_tenant.department.name not in page


def test_request_form_of_an_unknown_municipality_is_404(client, db):
    assert client.get("/p/nowhere/request/").status_code == 404


def test_request_is_saved_normalised_and_confirmed_by_mail(client, tenant, mails):
    response = client.post("/p/kanoya/request/", _request_data(tenant))
    assert response.status_code == 302
    assert response["Location"] == "/p/kanoya/request/done/"
    with scopes_disabled():
        request = InvitationRequest.objects.get()
        assert request.registration_number == "T7120001168421"
        assert request.company_name_kana == "カブシキガイシャカノヤショウジ"
        assert request.phone == "0994-12-3456"
        assert set(request.departments.all()) == {
            tenant.department,
            tenant.other_department,
        }
    confirmation, notification = mails
    assert confirmation.to == ["ichiro@kanoya-shoji.example.jp"]
    assert (
        confirmation.subject == "[請求書ポータル] 鹿屋市への招待の申請を受け付けました"
    )
    assert notification.to == [tenant.city_admin.email]
    assert (
        notification.subject == "[請求書ポータル] 新しい招待の申請: 株式会社かのや商事"
    )
    assert f"/m/kanoya/manage/requests/{request.pk}/" in notification.body


def test_request_with_a_wrong_registration_number_saves_nothing(client, tenant, mails):
    response = client.post(
        "/p/kanoya/request/",
        _request_data(tenant, registration_number="T7120001168422"),
    )
    assert response.status_code == 200
    assert "検査用数字" in response.content.decode()
    with scopes_disabled():
        assert not InvitationRequest.objects.exists()
    assert mails == []


def test_request_cannot_name_another_municipalitys_department(
    client, tenant, other_tenant
):
    response = client.post(
        "/p/kanoya/request/",
        _request_data(tenant, departments=[other_tenant.department.pk]),
    )
    assert response.status_code == 200
    assert "選べない部署が含まれています" in response.content.decode()
    with scopes_disabled():
        assert not InvitationRequest.objects.exists()


def test_request_honeypot_pretends_success_and_saves_nothing(client, tenant, mails):
    response = client.post(
        "/p/kanoya/request/", _request_data(tenant, website="http://spam.example")
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not InvitationRequest.objects.exists()
    assert mails == []


def test_requests_are_rate_limited_per_address(client, tenant, mails):
    for _ in range(3):
        assert (
            client.post("/p/kanoya/request/", _request_data(tenant)).status_code == 302
        )
    response = client.post("/p/kanoya/request/", _request_data(tenant))
    assert response.status_code == 429
    assert "1時間ほど待って" in response.content.decode()
    with scopes_disabled():
        assert InvitationRequest.objects.count() == 3


# The console -------------------------------------------------------------------


@pytest.fixture
def pending_request(client, tenant, mails):
    client.post("/p/kanoya/request/", _request_data(tenant))
    mails.clear()
    with scopes_disabled():
        return InvitationRequest.objects.get()


@pytest.mark.parametrize("role", ["department_staff", "treasury"])
def test_console_is_for_city_admins_only(client, tenant, role, pending_request):
    client.force_login(getattr(tenant, role))
    for url in (
        "/m/kanoya/manage/requests/",
        f"/m/kanoya/manage/requests/{pending_request.pk}/",
        "/m/kanoya/manage/invitations/",
        "/m/kanoya/manage/invitations/new/",
    ):
        assert client.get(url).status_code == 404


def test_other_municipalitys_admin_gets_404(client, other_tenant, pending_request):
    client.force_login(other_tenant.city_admin)
    url = f"/m/kirishima/manage/requests/{pending_request.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 404


def test_approving_sends_one_invitation_per_department_once(
    client, tenant, pending_request, mails
):
    client.force_login(tenant.city_admin)
    url = f"/m/kanoya/manage/requests/{pending_request.pk}/"
    assert (
        "株式会社かのや商事"
        in client.get("/m/kanoya/manage/requests/").content.decode()
    )
    client.post(url, {"action": "approve"})
    assert len(mails) == 2
    subject = "[請求書ポータル] 鹿屋市 {}から請求書ポータルへの招待"
    assert {m.subject for m in mails} == {
        subject.format(tenant.department.name),
        subject.format(tenant.other_department.name),
    }
    assert all(m.to == ["ichiro@kanoya-shoji.example.jp"] for m in mails)
    # A second click (or a colleague at the same time) changes nothing.
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "すでに「承認済み」" in response.content.decode()
    assert len(mails) == 2
    with scopes_disabled():
        assert Invitation.objects.count() == 2
        pending_request.refresh_from_db()
        assert pending_request.status == InvitationRequestStatus.APPROVED


def test_declining_needs_a_reason_and_mails_it(client, tenant, pending_request, mails):
    client.force_login(tenant.city_admin)
    url = f"/m/kanoya/manage/requests/{pending_request.pk}/"
    response = client.post(url, {"action": "decline", "reason": ""})
    assert "見送りの理由を入力してください" in response.content.decode()
    assert mails == []
    client.post(url, {"action": "decline", "reason": "市内に事業所が必要です。"})
    (message,) = mails
    assert message.to == ["ichiro@kanoya-shoji.example.jp"]
    assert "市内に事業所が必要です。" in message.body


def test_direct_invitation_double_submit_sends_once(client, tenant, mails):
    client.force_login(tenant.city_admin)
    data = {"email": "Someone@Example.jp", "departments": [tenant.department.pk]}
    client.post("/m/kanoya/manage/invitations/new/", data)
    client.post("/m/kanoya/manage/invitations/new/", data)
    assert len(mails) == 1
    assert mails[0].to == ["someone@example.jp"]
    with scopes_disabled():
        assert Invitation.objects.count() == 1


def test_invitation_list_filters_by_state(client, tenant, mails):
    _invite(client, tenant, mails, email="a@example.jp")
    _invite(client, tenant, mails, email="b@example.jp")
    with scopes_disabled():
        Invitation.objects.filter(email="b@example.jp").update(
            expires_at=timezone.now() - timedelta(days=1)
        )
    client.force_login(tenant.city_admin)
    expired = client.get("/m/kanoya/manage/invitations/?state=expired").content.decode()
    assert "b@example.jp" in expired
    assert "a@example.jp" not in expired


def test_resend_replaces_the_link_and_revoke_stops_it(client, tenant, mails):
    old_link = _invite(client, tenant, mails)
    with scopes_disabled():
        invitation = Invitation.objects.get()
    client.force_login(tenant.city_admin)
    client.post(f"/m/kanoya/manage/invitations/{invitation.pk}/resend/")
    new_link = _link(mails[-1])
    assert new_link != old_link
    client.logout()
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200

    client.force_login(tenant.city_admin)
    client.post(f"/m/kanoya/manage/invitations/{invitation.pk}/revoke/")
    client.logout()
    response = client.get(new_link)
    assert response.status_code == 410
    assert "取り消されました" in response.content.decode()


# Acceptance ----------------------------------------------------------------------


def test_new_person_signs_up_creates_the_supplier_and_the_connection(
    client, tenant, mails
):
    link = _invite(client, tenant, mails)
    page = client.get(link).content.decode()
    assert "アカウントの作成" in page
    assert 'value="株式会社あたらし"' in page

    response = client.post(link, _supplier_data())
    assert response.status_code == 302
    assert response["Location"] == "/supplier/"
    user = User.objects.get(email="new@example.jp")
    assert user.emailaddress_set.get().verified
    membership = SupplierMembership.objects.get(user=user)
    assert membership.role == SupplierRole.OWNER
    with scopes_disabled():
        connection = Connection.objects.get(supplier=membership.supplier)
        assert connection.department == tenant.department
        invitation = Invitation.objects.get()
        assert invitation.status == InvitationStatus.ACCEPTED
        assert invitation.accepted_by == user
        assert invitation.connection == connection
    # Logged in and at home.
    home = client.get("/supplier/").content.decode()
    assert "株式会社あたらし" in home
    assert tenant.department.name in home
    assert any("招待が承諾されました" in m.subject for m in mails)


def test_clicking_the_link_again_creates_nothing_twice(client, tenant, mails):
    link = _invite(client, tenant, mails)
    client.post(link, _supplier_data())
    again = client.post(link, _supplier_data())
    assert again.status_code == 302
    assert again["Location"] == "/supplier/"
    client.logout()
    response = client.get(link)
    assert "すでに承諾されています" in response.content.decode()
    assert User.objects.filter(email="new@example.jp").count() == 1
    assert Supplier.objects.filter(legal_name="株式会社あたらし").count() == 1
    with scopes_disabled():
        assert Connection.objects.count() == 1


def test_signup_errors_save_nothing(client, tenant, mails):
    link = _invite(client, tenant, mails)
    response = client.post(
        link,
        _supplier_data(password2="different", **{"supplier-registration_number": "T1"}),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "確認用のパスワードが一致しません" in page
    assert "「T」に続けて13桁" in page
    assert not User.objects.filter(email="new@example.jp").exists()
    assert not Supplier.objects.filter(legal_name="株式会社あたらし").exists()


def test_existing_supplier_adds_a_department(client, tenant, supplier_user, mails):
    link = _invite(client, tenant, mails, email=supplier_user.email, departments=None)
    with scopes_disabled():
        Invitation.objects.update(department=tenant.other_department)
    client.force_login(supplier_user)
    page = client.get(link).content.decode()
    assert supplier_user.supplier_membership.supplier.legal_name in page
    assert "アカウントの作成" not in page
    response = client.post(link)
    assert response["Location"] == "/supplier/"
    with scopes_disabled():
        assert set(
            Connection.objects.filter(
                supplier=supplier_user.supplier_membership.supplier
            ).values_list("department", flat=True)
        ) == {tenant.department.pk, tenant.other_department.pk}


def test_supplier_invited_by_a_second_municipality_keeps_one_account(
    client, tenant, other_tenant, supplier_user, mails
):
    client.force_login(other_tenant.city_admin)
    client.post(
        "/m/kirishima/manage/invitations/new/",
        {"email": supplier_user.email, "departments": [other_tenant.department.pk]},
    )
    link = _link(mails[-1])
    assert "霧島市" in mails[-1].subject
    client.force_login(supplier_user)
    client.post(link)
    home = client.get("/supplier/").content.decode()
    assert "鹿屋市" in home
    assert "霧島市" in home
    assert other_tenant.department.name in home


def test_existing_account_must_log_in_first(client, tenant, supplier_user, mails):
    link = _invite(client, tenant, mails, email=supplier_user.email)
    response = client.get(link)
    page = response.content.decode()
    assert "ログインしてから承諾してください" in page
    assert f"/accounts/login/?next={link}" in page
    login = client.post(
        f"/accounts/login/?next={link}",
        {"login": supplier_user.email, "password": PASSWORD},
    )
    assert login["Location"] == link


def test_wrong_account_is_told_to_log_out(client, tenant, supplier_user, mails):
    link = _invite(client, tenant, mails)
    client.force_login(supplier_user)
    page = client.get(link).content.decode()
    assert "別のアカウントでログインしています" in page
    assert "new@example.jp" in page
    client.post(link)
    with scopes_disabled():
        assert Invitation.objects.get().status == InvitationStatus.SENT


def test_expired_link_says_to_ask_for_a_resend(client, tenant, mails):
    link = _invite(client, tenant, mails)
    with scopes_disabled():
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(link)
    assert response.status_code == 410
    assert "有効期限が切れています" in response.content.decode()
    assert client.post(link, _supplier_data()).status_code == 410
    assert not User.objects.filter(email="new@example.jp").exists()


def test_unknown_link_is_404_with_advice(client, db):
    response = client.get("/invitations/not-a-real-token/")
    assert response.status_code == 404
    assert "最新の招待メール" in response.content.decode()


# Joining an existing supplier needs its owners' consent ---------------------------

VICTIM_NUMBER = "T7120001168421"  # the number _request_data() asks with
ATTACKER = "attacker@evil.example.jp"


@pytest.fixture
def victim():
    """A supplier already on the platform, with one owner and a clerk."""
    supplier = SupplierFactory(
        legal_name="株式会社かのや商事", registration_number=VICTIM_NUMBER
    )
    owner = UserFactory(email="owner@kanoya-shoji.example.jp")
    SupplierMembership.objects.create(
        user=owner, supplier=supplier, role=SupplierRole.OWNER
    )
    clerk = UserFactory(email="clerk@kanoya-shoji.example.jp")
    SupplierMembership.objects.create(
        user=clerk, supplier=supplier, role=SupplierRole.CLERK
    )
    return supplier, owner, clerk


def _signup_only(**overrides):
    return {
        "name": "悪井 太郎",
        "password1": "a-long-unique-password",
        "password2": "a-long-unique-password",
        **overrides,
    }


def _assert_outsider(client, email):
    """``email`` has no place in any supplier and no supplier page."""
    assert not SupplierMembership.objects.filter(user__email=email).exists()
    user = User.objects.filter(email=email).first()
    if user is None:
        return
    client.force_login(user)
    for url in (
        "/supplier/",
        "/supplier/invoices/",
        "/supplier/bank-accounts/",
        "/supplier/members/",
    ):
        assert client.get(url).status_code == 404, url


def test_attacker_asking_with_another_companys_number_never_becomes_its_member(
    client, tenant, victim, mails
):
    """The attack as it worked: ask with the victim's registration number
    and one's own address, wait for the city's approval, follow the link
    in the mail and sign up."""
    supplier, owner, _ = victim
    client.post(
        "/p/kanoya/request/",
        _request_data(tenant, email=ATTACKER, departments=[tenant.department.pk]),
    )
    with scopes_disabled():
        request = InvitationRequest.objects.get()
    client.force_login(tenant.city_admin)
    client.post(f"/m/kanoya/manage/requests/{request.pk}/", {"action": "approve"})
    client.logout()
    for message in [m for m in mails if m.to == [ATTACKER]]:
        if match := LINK.search(message.body):
            client.post(match.group(1), _signup_only())
            client.logout()
    _assert_outsider(client, ATTACKER)

    # The victim's owner was asked instead; accepting connects the
    # department to the victim and makes nobody a member.
    (to_owner,) = [m for m in mails if m.to == [owner.email]]
    client.force_login(owner)
    client.post(_link(to_owner))
    with scopes_disabled():
        assert Connection.objects.get(supplier=supplier).department == (
            tenant.department
        )
    assert SupplierMembership.objects.filter(supplier=supplier).count() == 2
    _assert_outsider(client, ATTACKER)


def test_request_naming_an_existing_supplier_is_for_its_owners_only(
    client, tenant, victim, mails
):
    supplier, owner, _ = victim
    # The attacker asks with the victim's registration number and their own
    # address.
    client.post(
        "/p/kanoya/request/",
        _request_data(tenant, email=ATTACKER, departments=[tenant.department.pk]),
    )
    with scopes_disabled():
        request = InvitationRequest.objects.get()
    # The city administrator sees that the supplier exists and who is asked.
    client.force_login(tenant.city_admin)
    url = f"/m/kanoya/manage/requests/{request.pk}/"
    page = client.get(url).content.decode()
    assert "この登録番号の取引先は既に登録されています" in page
    assert "管理者 1名に確認のメールを送ります" in page
    assert "ow***@kanoya-shoji.example.jp" in page
    assert owner.email not in page
    assert "管理者のものではありません" in page
    mails.clear()
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "取引先の管理者 1名に1件の招待メールを送りました" in (
        response.content.decode()
    )
    client.logout()

    # The invitation goes to the owner; the attacker gets no link at all and
    # learns nothing about the owners.
    to_owner = [m for m in mails if m.to == [owner.email]]
    to_attacker = [m for m in mails if m.to == [ATTACKER]]
    assert len(to_owner) == 1
    # The owner sees who asked in the company's name.
    assert "鹿屋 一郎" in to_owner[0].body
    assert ATTACKER in to_owner[0].body
    assert len(to_attacker) == 1
    notice = to_attacker[0]
    assert not LINK.search(notice.body)
    assert "管理者に送り、承諾を依頼しました" in notice.body
    assert "利用者の招待" in notice.body
    assert owner.email not in notice.body
    assert "owner" not in notice.body

    # Even holding the owner's link (say, forwarded), the attacker cannot
    # sign up with it ...
    link = _link(to_owner[0])
    page = client.get(link).content.decode()
    assert "取引先の管理者のアカウントでログインしてください" in page
    assert "アカウントの作成" not in page
    client.post(link, _signup_only())
    assert not User.objects.filter(email=ATTACKER).exists()
    # ... nor accept it with an account of their own.
    attacker = UserFactory(email=ATTACKER)
    client.force_login(attacker)
    page = client.get(link).content.decode()
    assert "この招待を承諾できるのは取引先の管理者だけです" in page
    client.post(link)
    client.logout()
    _assert_outsider(client, ATTACKER)
    with scopes_disabled():
        assert not Connection.objects.filter(supplier=supplier).exists()
        assert Invitation.objects.get().status == InvitationStatus.SENT

    # The owner accepts: the department is connected, and nobody joined.
    client.force_login(owner)
    page = client.get(link).content.decode()
    assert f"<strong>{supplier.legal_name}</strong> として" in page
    assert "事業者の情報" not in page
    response = client.post(link)
    assert response["Location"] == "/supplier/"
    with scopes_disabled():
        connection = Connection.objects.get(supplier=supplier)
        assert connection.department == tenant.department
        invitation = Invitation.objects.get()
        assert invitation.accepted_by == owner
        assert invitation.connection == connection
    assert set(
        SupplierMembership.objects.filter(supplier=supplier).values_list(
            "user__email", flat=True
        )
    ) == {owner.email, "clerk@kanoya-shoji.example.jp"}
    _assert_outsider(client, ATTACKER)


def test_direct_invitation_with_an_existing_suppliers_number_goes_to_its_owners(
    client, tenant, victim, mails
):
    supplier, owner, _ = victim
    stranger = "stranger@example.jp"
    client.force_login(tenant.city_admin)
    response = client.post(
        "/m/kanoya/manage/invitations/new/",
        {
            "email": stranger,
            "registration_number": "Ｔ７１２０－００１１－６８４２１",
            "departments": [tenant.department.pk],
        },
        follow=True,
    )
    page = response.content.decode()
    assert "既に登録されているため、取引先の管理者 1名に1件の招待メール" in page
    listing = client.get("/m/kanoya/manage/invitations/").content.decode()
    assert f"{supplier.legal_name} の管理者" in listing
    client.logout()
    (to_owner,) = [m for m in mails if m.to == [owner.email]]
    (to_stranger,) = [m for m in mails if m.to == [stranger]]
    assert not LINK.search(to_stranger.body)
    with scopes_disabled():
        invitation = Invitation.objects.get()
        assert invitation.supplier == supplier
        assert invitation.registration_number == VICTIM_NUMBER

    # A stranger holding the link can neither sign up nor accept.
    link = _link(to_owner)
    client.post(link, _supplier_data())
    assert not User.objects.filter(email=stranger).exists()
    client.force_login(UserFactory(email=stranger))
    client.post(link, _supplier_data())
    client.logout()
    _assert_outsider(client, stranger)
    with scopes_disabled():
        assert not Connection.objects.filter(supplier=supplier).exists()

    client.force_login(owner)
    client.post(link)
    with scopes_disabled():
        assert Connection.objects.get(supplier=supplier).department == (
            tenant.department
        )
    _assert_outsider(client, stranger)


def test_a_clerk_cannot_accept_for_the_supplier(client, tenant, victim, mails):
    supplier, owner, clerk = victim
    client.post(
        "/p/kanoya/request/",
        _request_data(tenant, email=clerk.email, departments=[tenant.department.pk]),
    )
    with scopes_disabled():
        request = InvitationRequest.objects.get()
    client.force_login(tenant.city_admin)
    mails.clear()
    client.post(f"/m/kanoya/manage/requests/{request.pk}/", {"action": "approve"})
    (to_owner,) = [m for m in mails if m.to == [owner.email]]
    assert not any(LINK.search(m.body) for m in mails if m.to == [clerk.email])
    client.force_login(clerk)
    link = _link(to_owner)
    assert "管理者だけです" in client.get(link).content.decode()
    client.post(link)
    with scopes_disabled():
        assert not Connection.objects.filter(supplier=supplier).exists()
    assert clerk.supplier_membership.role == SupplierRole.CLERK


def test_owner_asking_for_a_new_department_accepts_with_their_account(
    client, tenant, victim, mails
):
    supplier, owner, _ = victim
    co_owner = UserFactory(email="co-owner@kanoya-shoji.example.jp")
    SupplierMembership.objects.create(
        user=co_owner, supplier=supplier, role=SupplierRole.OWNER
    )
    client.post(
        "/p/kanoya/request/",
        _request_data(tenant, email=owner.email, departments=[tenant.department.pk]),
    )
    with scopes_disabled():
        request = InvitationRequest.objects.get()
    client.force_login(tenant.city_admin)
    page = client.get(f"/m/kanoya/manage/requests/{request.pk}/").content.decode()
    assert "管理者 2名に確認のメールを送ります" in page
    assert "申請者のメールアドレスは、この取引先の管理者のものです" in page
    mails.clear()
    client.post(f"/m/kanoya/manage/requests/{request.pk}/", {"action": "approve"})
    # Each owner gets the invitation; nobody gets the "owners were asked"
    # notice, since the requester is one of them.
    assert sorted(m.to[0] for m in mails) == sorted([owner.email, co_owner.email])
    client.force_login(owner)
    response = client.post(_link(mails[0]))
    assert response["Location"] == "/supplier/"
    with scopes_disabled():
        assert Connection.objects.get(supplier=supplier).department == (
            tenant.department
        )


def test_resend_goes_to_the_current_owners(client, tenant, victim, mails):
    _, owner, clerk = victim
    client.force_login(tenant.city_admin)
    client.post(
        "/m/kanoya/manage/invitations/new/",
        {
            "email": "contact@example.jp",
            "registration_number": VICTIM_NUMBER,
            "departments": [tenant.department.pk],
        },
    )
    SupplierMembership.objects.filter(user=clerk).update(role=SupplierRole.OWNER)
    with scopes_disabled():
        invitation = Invitation.objects.get()
    mails.clear()
    response = client.post(
        f"/m/kanoya/manage/invitations/{invitation.pk}/resend/", follow=True
    )
    assert "の管理者に新しいリンクで招待メールを再送しました" in (
        response.content.decode()
    )
    assert sorted(m.to[0] for m in mails) == sorted([owner.email, clerk.email])


def test_existing_supplier_without_an_active_owner_cannot_be_invited(
    client, tenant, victim, mails
):
    _, owner, _ = victim
    owner.is_active = False
    owner.save()
    client.post(
        "/p/kanoya/request/",
        _request_data(tenant, email=ATTACKER, departments=[tenant.department.pk]),
    )
    with scopes_disabled():
        request = InvitationRequest.objects.get()
    client.force_login(tenant.city_admin)
    url = f"/m/kanoya/manage/requests/{request.pk}/"
    assert "有効な管理者がいません" in client.get(url).content.decode()
    mails.clear()
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "有効な管理者がいないため招待を送れません" in response.content.decode()
    assert mails == []
    with scopes_disabled():
        assert not Invitation.objects.exists()
        request.refresh_from_db()
        assert request.status == InvitationRequestStatus.PENDING


def test_supplier_registered_after_approval_is_not_joined_on_acceptance(
    client, tenant, mails
):
    # Approved while the number was free: the link goes to the requester.
    client.post(
        "/p/kanoya/request/",
        _request_data(tenant, email=ATTACKER, departments=[tenant.department.pk]),
    )
    with scopes_disabled():
        request = InvitationRequest.objects.get()
    client.force_login(tenant.city_admin)
    client.post(f"/m/kanoya/manage/requests/{request.pk}/", {"action": "approve"})
    link = _link(mails[-1])
    client.logout()
    # Meanwhile the real company registers with that number.
    supplier = SupplierFactory(registration_number=VICTIM_NUMBER)
    SupplierMembership.objects.create(
        user=UserFactory(), supplier=supplier, role=SupplierRole.OWNER
    )
    page = client.get(link).content.decode()
    assert "事業者の情報" in page  # a new supplier of their own, nothing else
    response = client.post(
        link,
        _supplier_data(**{"supplier-registration_number": VICTIM_NUMBER}),
    )
    assert "この登録番号の取引先はすでに登録されています" in response.content.decode()
    assert not User.objects.filter(email=ATTACKER).exists()
    _assert_outsider(client, ATTACKER)
    with scopes_disabled():
        assert not Connection.objects.filter(supplier=supplier).exists()


# Staff addresses never get a supplier ------------------------------------------


def test_request_with_a_staff_email_is_refused_on_the_field(
    client, tenant, other_tenant, mails
):
    for staff in (tenant.department_staff, other_tenant.treasury):
        response = client.post(
            "/p/kanoya/request/", _request_data(tenant, email=staff.email.upper())
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors["email"] == [
            "このメールアドレスは自治体職員のアカウントで使われています。"
            "取引先の登録には、職員用とは別のメールアドレスを入力してください。"
        ]
    with scopes_disabled():
        assert not InvitationRequest.objects.exists()
    assert mails == []


def test_city_invitation_to_a_staff_email_is_refused_on_the_field(
    client, tenant, other_tenant, mails
):
    client.force_login(tenant.city_admin)
    for staff in (tenant.treasury, other_tenant.city_admin):
        response = client.post(
            "/m/kanoya/manage/invitations/new/",
            {"email": staff.email, "departments": [tenant.department.pk]},
        )
        assert response.status_code == 200
        assert "自治体職員のアカウントで使われています" in str(
            response.context["form"].errors["email"]
        )
    with scopes_disabled():
        assert not Invitation.objects.exists()
    assert mails == []


def test_staff_account_cannot_create_a_supplier_by_accepting(client, tenant, mails):
    # An invitation sent before the address became a staff login.
    link = _invite(client, tenant, mails, email="later-staff@example.jp")
    user = UserFactory(email="later-staff@example.jp")
    StaffMembershipFactory(user=user, municipality=tenant.municipality)
    client.force_login(user)
    page = client.get(link).content.decode()
    assert "職員のアカウントでは取引先を登録できません" in page
    assert "事業者の情報" not in page
    client.post(link, _supplier_data())
    assert not SupplierMembership.objects.filter(user=user).exists()
    assert not Supplier.objects.filter(legal_name="株式会社あたらし").exists()
    with scopes_disabled():
        assert Invitation.objects.get().status == InvitationStatus.SENT


def test_city_admin_role_nav_links_to_the_console(client, tenant):
    StaffMembershipFactory(
        user=tenant.city_admin,
        municipality=tenant.municipality,
        role=StaffRole.TREASURY,
    )
    client.force_login(tenant.city_admin)
    page = client.get("/m/kanoya/manage/").content.decode()
    assert "/m/kanoya/manage/requests/" in page


def test_connection_factory_still_usable(tenant):
    # Guards the fixture used above: connections keep their municipality.
    with scopes_disabled():
        connection = ConnectionFactory(department=tenant.department)
    assert connection.municipality == tenant.municipality


def test_supplier_created_on_acceptance_gets_a_normalised_postal_code(
    client, tenant, mails
):
    link = _invite(client, tenant, mails)
    response = client.post(
        link, _supplier_data(**{"supplier-postal_code": "〒８９３－００１４"})
    )
    assert response.status_code == 302
    supplier = SupplierMembership.objects.get(user__email="new@example.jp").supplier
    assert supplier.postal_code == "893-0014"


def test_wrong_postal_code_on_acceptance_is_explained(client, tenant, mails):
    link = _invite(client, tenant, mails)
    response = client.post(link, _supplier_data(**{"supplier-postal_code": "893-01"}))
    assert response.status_code == 200
    assert "郵便番号は7桁の数字で入力してください（例: 893-8501）。" in (
        response.content.decode()
    )
    assert not SupplierMembership.objects.filter(user__email="new@example.jp").exists()
