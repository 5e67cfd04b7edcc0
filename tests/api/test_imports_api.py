"""Uploads through the API: CSV and JP PINT, checked first (problems by row
or document), imported all or nothing when confirmed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from api.models import ApiScope
from invoices.models import Invoice, InvoiceStatus
from peppol.services import invoice_jp_pint
from tests.factories import make_invoice
from tests.invoices.test_csv_import import csv_file, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(client):
    def send(path, *, key, name, content, idem, **fields):
        return client.post(
            f"/api/v1{path}",
            {"file": SimpleUploadedFile(name, content), **fields},
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_IDEMPOTENCY_KEY=idem,
        )

    return send


def test_csv_is_checked_then_imported_once(
    api, upload, make_key, tenant, connection, django_capture_on_commit_callbacks
):
    key = make_key()
    content = csv_file(
        [line(tenant.department), line(tenant.department, 品名="封筒", 単価="120")],
        encoding="cp932",
    )
    checked = upload(
        "/imports/csv", key=key, name="11月.csv", content=content, idem="u1"
    )
    assert checked.status_code == 201, checked.json()
    body = checked.json()
    assert (body["status"], body["invoice_count"], body["problems"]) == ("ready", 1, [])
    with django_capture_on_commit_callbacks(execute=True):
        started = api(
            "post",
            f"/imports/csv/{body['id']}/confirm",
            key=key,
            json={},
            idempotency_key="u2",
        )
    assert started.status_code == 202
    done = api("get", f"/imports/csv/{body['id']}", key=key).json()
    assert done["status"] == "done"
    with scopes_disabled():
        invoice = Invoice.objects.get(pk__in=done["invoice_ids"])
    assert (invoice.number, invoice.status, invoice.total) == (
        "A-1",
        InvoiceStatus.DRAFT,
        6270,
    )
    again = api(
        "post",
        f"/imports/csv/{body['id']}/confirm",
        key=key,
        json={},
        idempotency_key="u3",
    )
    assert again.status_code == 409


def test_csv_problems_come_by_row_and_column(upload, make_key, tenant, connection):
    content = csv_file([line(tenant.department, 数量="たくさん")])
    body = upload(
        "/imports/csv", key=make_key(), name="bad.csv", content=content, idem="v1"
    ).json()
    assert body["status"] == "invalid"
    [problem] = body["problems"]
    assert (problem["row"], problem["column"]) == (2, "数量")
    assert "数量" in problem["message"]


def test_csv_to_issue_needs_the_issue_scope(upload, make_key, tenant, connection):
    content = csv_file([line(tenant.department)])
    response = upload(
        "/imports/csv",
        key=make_key(ApiScope.DRAFT),
        name="a.csv",
        content=content,
        idem="w1",
        issue="true",
    )
    assert response.status_code == 403


def test_jp_pint_is_checked_then_imported(
    api, upload, make_key, tenant, connection, supplier_user
):
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
        xml = invoice_jp_pint(invoice)
    # The same document with another number: a new invoice of this supplier.
    xml = xml.replace(
        f"<cbc:ID>{invoice.number}</cbc:ID>".encode(), b"<cbc:ID>PINT-9</cbc:ID>", 1
    )
    key = make_key()
    body = upload(
        "/imports/jp-pint", key=key, name="pint.xml", content=xml, idem="x1"
    ).json()
    assert body["status"] == "ready", body["problems"]
    done = api(
        "post",
        f"/imports/jp-pint/{body['id']}/confirm",
        key=key,
        json={},
        idempotency_key="x2",
    ).json()
    assert done["status"] == "done"
    with scopes_disabled():
        imported = Invoice.objects.get(pk__in=done["invoice_ids"])
    assert (imported.number, imported.total) == ("PINT-9", invoice.total)


def test_a_file_that_is_not_xml_is_refused_with_the_rule(upload, make_key, connection):
    body = upload(
        "/imports/jp-pint",
        key=make_key(),
        name="x.xml",
        content=b"%PDF-1.7 not xml",
        idem="y1",
    ).json()
    assert body["status"] == "invalid"
    assert body["problems"][0]["message"]
