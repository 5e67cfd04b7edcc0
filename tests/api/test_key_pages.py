"""API連携 pages: an owner makes a key, sees its text once, sees its calls
and revokes it after a confirmation; clerks do not get the pages."""

import pytest

from api.models import ApiKey, ApiScope
from partners.models import SupplierRole
from tests.factories import SupplierMembershipFactory

pytestmark = pytest.mark.django_db


def test_owner_creates_a_key_and_sees_it_once(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(
        "/supplier/api-keys/",
        {"name": "販売管理システム", "scope": ApiScope.ISSUE, "lifetime": "90"},
    )
    assert response.status_code == 302
    page = client.get("/supplier/api-keys/").content.decode()
    key = ApiKey.objects.get()
    text = page.split(f"ipk_{key.prefix}_", 1)[1].split("<", 1)[0]
    assert len(text) >= 40
    assert text not in key.secret_hash
    assert "このキーが表示されるのは今回だけです。" in page
    # Only once: the next visit lists the key without its text.
    again = client.get("/supplier/api-keys/").content.decode()
    assert text not in again
    assert "販売管理システム" in again
    # The key works, and its call is listed on its page.
    api = client.get(
        "/api/v1/departments", HTTP_AUTHORIZATION=f"Bearer ipk_{key.prefix}_{text}"
    )
    assert api.status_code == 200
    detail = client.get(f"/supplier/api-keys/{key.pk}/").content.decode()
    assert "GET /api/v1/departments" in detail


def test_a_bad_form_says_what_is_missing(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post("/supplier/api-keys/", {"scope": "", "lifetime": "90"})
    content = response.content.decode()
    assert "キーの名前を入力してください。" in content
    assert "権限を選んでください。" in content
    assert not ApiKey.objects.exists()


def test_revoking_asks_first(client, supplier_user):
    client.force_login(supplier_user)
    client.post(
        "/supplier/api-keys/", {"name": "会計", "scope": "read", "lifetime": "30"}
    )
    key = ApiKey.objects.get()
    confirm = client.get(f"/supplier/api-keys/{key.pk}/revoke/")
    assert "元に戻すことはできません。" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    client.post(f"/supplier/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_clerks_get_no_key_pages(client, supplier_user):
    clerk = SupplierMembershipFactory(
        supplier=supplier_user.supplier_membership.supplier, role=SupplierRole.CLERK
    ).user
    client.force_login(clerk)
    assert client.get("/supplier/api-keys/").status_code == 404
    assert client.get("/supplier/api-guide/").status_code == 200
