import pytest
from django_scopes import scopes_disabled

from partners.models import Connection
from tests.factories import make_invoice


@pytest.fixture
def connection(tenant, supplier_user):
    with scopes_disabled():
        return Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )


@pytest.fixture
def issued_invoice(connection, supplier_user, django_capture_on_commit_callbacks):
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        return make_invoice(connection=connection, actor=supplier_user)
