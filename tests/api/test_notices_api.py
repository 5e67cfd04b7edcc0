"""Payment notices and remittance data through the API: what a supplier's
system needs to clear its receivables, recorded like a download."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiScope
from api.services.keys import api_key_create
from invoices.models import EventKind, InvoiceEvent
from tests.municipality.test_remittance import total, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(world):  # noqa: F811
    user = world["user"]
    return api_key_create(
        supplier=user.supplier_membership.supplier,
        actor=user,
        name="会計システム",
        scope=ApiScope.READ,
        expires_at=timezone.now() + timedelta(days=1),
    )[1]


def test_notices_list_and_remittance(api, key, world):  # noqa: F811
    page = api("get", "/payment-notices", key=key).json()
    [item] = page["items"]
    notice = world["notice"]
    assert (item["number"], item["amount"], item["invoice_count"]) == (
        notice.number,
        total(world),
        2,
    )
    assert item["transfer_amount"] == total(world) - item["fee"]
    assert page["next"] is None
    remittance = api(
        "get", item["remittance_url"].split("/api/v1", 1)[1], key=key
    ).json()
    [data] = remittance["notices"]
    assert data["edi"] == notice.number
    assert sorted(i["number"] for i in data["invoices"]) == sorted(
        i.number for i in world["invoices"]
    )
    with scopes_disabled():
        recorded = InvoiceEvent.objects.filter(
            kind=EventKind.DOWNLOADED, data__format="remittance_json"
        )
        assert recorded.count() == 2


def test_another_suppliers_notice_is_404(api, make_key, world):  # noqa: F811
    notice = world["notice"]
    response = api("get", f"/payment-notices/{notice.pk}/remittance", key=make_key())
    assert response.status_code == 404
    assert api("get", "/payment-notices", key=make_key()).json()["items"] == []
