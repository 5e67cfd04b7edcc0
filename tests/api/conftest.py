from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiScope
from api.services.keys import api_key_create
from partners.models import Connection


@pytest.fixture
def connection(supplier_user):
    with scopes_disabled():
        return Connection.objects.get(supplier__memberships__user=supplier_user)


@pytest.fixture
def make_key(supplier_user):
    def make(scope=ApiScope.ISSUE, user=None, days=30):
        user = user or supplier_user
        _, text = api_key_create(
            supplier=user.supplier_membership.supplier,
            actor=user,
            name=f"販売管理 {scope}",
            scope=scope,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return text

    return make


@pytest.fixture
def api(client):
    """Calls the API with a key: ``api("get", "/invoices", key=...)``."""

    def call(method, path, *, key, json=None, idempotency_key=None, **headers):
        if key:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        if idempotency_key:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        kwargs = {}
        if json is not None:
            kwargs = {"data": json, "content_type": "application/json"}
        return getattr(client, method)(f"/api/v1{path}", **kwargs, **headers)

    return call
