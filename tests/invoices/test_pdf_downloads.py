"""PDF downloads: permission-checked, recorded, and honest while rendering."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.models import EventKind, InvoicePdf, PdfStatus

pytestmark = pytest.mark.django_db


def _supplier_url(invoice):
    return reverse("supplier:invoice_pdf", args=[invoice.pk])


def _city_url(invoice):
    return reverse("city:invoice_pdf", args=[invoice.municipality.slug, invoice.pk])


def test_supplier_downloads_the_pdf_and_it_is_recorded(
    client, supplier_user, issued_invoice
):
    client.force_login(supplier_user)
    response = client.get(_supplier_url(issued_invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    with scopes_disabled():
        event = issued_invoice.events.get(kind=EventKind.DOWNLOADED)
    assert event.data["format"] == "pdf"
    assert event.actor == supplier_user


def test_department_staff_download_the_pdf(client, tenant, issued_invoice):
    client.force_login(tenant.department_staff)
    response = client.get(_city_url(issued_invoice))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_others_get_404(
    client, tenant, other_tenant, other_supplier_user, issued_invoice
):
    client.force_login(other_supplier_user)
    assert client.get(_supplier_url(issued_invoice)).status_code == 404
    client.force_login(other_tenant.department_staff)
    other_url = reverse("city:invoice_pdf", args=["kirishima", issued_invoice.pk])
    assert client.get(other_url).status_code == 404
    client.logout()
    assert client.get(_supplier_url(issued_invoice)).status_code == 302


def test_a_pdf_being_rendered_says_so_and_refreshes(
    client, supplier_user, issued_invoice
):
    with scopes_disabled():
        InvoicePdf.objects.filter(invoice=issued_invoice).update(
            status=PdfStatus.PENDING, file=""
        )
    client.force_login(supplier_user)
    response = client.get(_supplier_url(issued_invoice))
    page = response.content.decode()
    assert response.status_code == 202
    assert "PDFを作成しています" in page
    assert 'http-equiv="refresh"' in page
    with scopes_disabled():
        assert not issued_invoice.events.filter(kind=EventKind.DOWNLOADED).exists()


def test_a_failed_pdf_says_so(client, supplier_user, issued_invoice):
    with scopes_disabled():
        InvoicePdf.objects.filter(invoice=issued_invoice).update(
            status=PdfStatus.FAILED, file="", error="OSError"
        )
    client.force_login(supplier_user)
    page = client.get(_supplier_url(issued_invoice)).content.decode()
    assert "PDFの作成に失敗しました" in page
