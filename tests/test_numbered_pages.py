"""Lists paged by number answer a page past the end with the last page, and
a page that is not a number with the first (a link kept while rows went,
a number typed in), not with a 404 (issue 14)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import ListView
from django_scopes import scopes_disabled

from invoices.paging import KeysetListMixin
from municipality.paging import NumberedPageMixin
from municipality.treasury.views.batches import BatchListView
from municipality.treasury.views.city import PayablesView
from tests.municipality.test_batch_list import _filled
from tests.municipality.test_treasury_support import (
    make_approved,
    make_settings,
    make_supplier,
)


def _views(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None:
                yield view


def test_every_list_paged_by_number_forgives_the_page_number():
    numbered = {
        view
        for view in _views()
        if issubclass(view, ListView) and not issubclass(view, KeysetListMixin)
    }
    assert BatchListView in numbered
    assert PayablesView in numbered
    assert [view for view in numbered if not issubclass(view, NumberedPageMixin)] == []


def _shown(client, url, page, name) -> list[int]:
    """The ids of the rows the list's ``page`` shows."""
    response = client.get(url, {"page": page})
    assert response.status_code == 200
    return [row.pk for row in response.context[name]]


@pytest.mark.django_db
def test_the_batch_list_past_its_end_shows_its_last_page(client, tenant, monkeypatch):
    monkeypatch.setattr(BatchListView, "paginate_by", 2)
    with scopes_disabled():
        make_settings(tenant.municipality)
        for offset in (1, 10, 20):
            _filled(tenant, offset)
    client.force_login(tenant.treasury)
    url = f"/m/{tenant.municipality.slug}/treasury/batches/"

    def shown(page):
        return _shown(client, url, page, "batches")

    last = shown(2)
    assert len(last) == 1
    assert shown(999) == shown("last") == last
    assert shown("abc") == shown(0) == shown(1)
    assert len(shown(1)) == 2


@pytest.mark.django_db
def test_the_payables_past_their_end_show_their_last_page(client, tenant, monkeypatch):
    monkeypatch.setattr(PayablesView, "paginate_by", 1)
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        for _ in range(2):
            make_approved(tenant, user, connection)
    client.force_login(tenant.treasury)
    url = f"/m/{tenant.municipality.slug}/treasury/payables/"

    def shown(page):
        return _shown(client, url, page, "invoices")

    assert shown(999) == shown(2) != shown(1)
    assert shown("x") == shown(1)
