"""Links reversed once per page are the links ``reverse()`` gives."""

import pytest
from django.urls import reverse

from municipality.treasury.views.links import PkLinks


@pytest.mark.parametrize(
    "name",
    ["city:invoice", "city:invoice_payee", "city:invoice_budget_code", "city:batch"],
)
@pytest.mark.parametrize("pk", [1, 10, 100, 123456789])
def test_pk_links_match_reverse(name, pk):
    kwargs = {"municipality_slug": "kanoya-0"}
    assert PkLinks(name, **kwargs)(pk) == reverse(name, kwargs={**kwargs, "pk": pk})
