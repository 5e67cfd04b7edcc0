"""JP PINT XML downloads: the PDF's permission checks, one history event
per download, and never a document that fails the portal's checks."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from lxml import etree

from invoices.models import EventKind, Invoice
from partners.models import Connection
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_invoice(tenant, supplier_user):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        return make_invoice(connection=connection, actor=supplier_user)


def _supplier_url(invoice):
    return reverse("supplier:invoice_xml", args=[invoice.pk])


def _city_url(invoice, slug=None):
    return reverse(
        "city:invoice_xml", args=[slug or invoice.municipality.slug, invoice.pk]
    )


def downloads(invoice):
    with scopes_disabled():
        return list(invoice.events.filter(kind=EventKind.DOWNLOADED))


def test_supplier_downloads_the_xml_and_it_is_recorded(
    client, supplier_user, issued_invoice
):
    client.force_login(supplier_user)
    response = client.get(_supplier_url(issued_invoice))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{issued_invoice.number}.xml"'
    )
    root = etree.fromstring(response.content)
    assert root.findtext(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID"
    ) == (issued_invoice.number)
    [event] = downloads(issued_invoice)
    assert event.data["format"] == "jp-pint"
    assert event.actor == supplier_user
    client.get(_supplier_url(issued_invoice))
    assert len(downloads(issued_invoice)) == 2


@pytest.mark.parametrize("role", ["department_staff", "treasury", "city_admin"])
def test_staff_download_the_xml(client, tenant, issued_invoice, role):
    client.force_login(getattr(tenant, role))
    response = client.get(_city_url(issued_invoice))
    assert response.status_code == 200
    assert b"urn:peppol:pint:billing-1@jp-1" in response.content
    assert len(downloads(issued_invoice)) == 1


def test_others_and_drafts_get_404(
    client, tenant, other_tenant, supplier_user, other_supplier_user, issued_invoice
):
    client.force_login(other_supplier_user)
    assert client.get(_supplier_url(issued_invoice)).status_code == 404
    client.force_login(other_tenant.department_staff)
    assert client.get(_city_url(issued_invoice, "kirishima")).status_code == 404
    client.logout()
    assert client.get(_supplier_url(issued_invoice)).status_code == 302
    with scopes_disabled():
        draft = make_invoice(
            connection=issued_invoice.connection, actor=supplier_user, issue=False
        )
    client.force_login(supplier_user)
    assert client.get(_supplier_url(draft)).status_code == 404
    assert downloads(issued_invoice) == []


def test_a_document_failing_the_portal_checks_is_not_served(
    client, supplier_user, issued_invoice
):
    snapshot = issued_invoice.snapshot
    snapshot["tax_summaries"][0]["tax_amount"] = "1"
    with scopes_disabled():
        Invoice.objects.filter(pk=issued_invoice.pk).update(snapshot=snapshot)
    client.force_login(supplier_user)
    response = client.get(_supplier_url(issued_invoice))
    assert response.status_code == 409
    assert "検証を通らないため、ダウンロードできません" in response.content.decode()
    assert downloads(issued_invoice) == []


def test_the_invoice_pages_link_the_xml(client, tenant, supplier_user, issued_invoice):
    client.force_login(supplier_user)
    page = client.get(reverse("supplier:invoice", args=[issued_invoice.pk]))
    assert _supplier_url(issued_invoice) in page.content.decode()
    client.force_login(tenant.department_staff)
    page = client.get(
        reverse("city:invoice", args=[tenant.municipality.slug, issued_invoice.pk])
    )
    assert _city_url(issued_invoice) in page.content.decode()
