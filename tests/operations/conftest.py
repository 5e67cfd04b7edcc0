import pytest
from django_scopes import scopes_disabled

from partners.models import Connection


@pytest.fixture
def connection(tenant, supplier_user):
    with scopes_disabled():
        return Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
