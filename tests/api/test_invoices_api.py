"""The suppliers' REST API: keys, scopes, invoices through the same
services and validation as the screen, idempotency, rate limits, isolation."""

import uuid

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from api.models import ApiCall, ApiScope
from invoices.models import EventKind, Invoice, InvoiceStatus
from invoices.services.pdf import invoice_pdf_render

pytestmark = pytest.mark.django_db


def _invoice_json(connection, **overrides):
    return {
        "department": connection.pk,
        "number": "API-0001",
        "issue_date": "2026-11-20",
        "transaction_date": "2026-11-20",
        "subject": "事務用品",
        "lines": [
            {
                "description": "コピー用紙 A4",
                "quantity": "10",
                "unit": "箱",
                "unit_price": "2500",
                "tax_category": "S",
            },
            {
                "description": "お茶",
                "quantity": 3,
                "unit_price": 120,
                "tax_category": "AA",
            },
        ],
        **overrides,
    }


def test_no_key_or_a_wrong_key_is_401_in_japanese(api, make_key):
    for key in ("", "ipk_deadbeef_wrong", make_key() + "x"):
        response = api("get", "/departments", key=key)
        assert response.status_code == 401
        assert "APIキー" in response.json()["message"]


def test_departments_lists_the_supplier_connections(api, make_key, connection):
    response = api("get", "/departments", key=make_key(ApiScope.READ))
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": connection.pk,
            "municipality": connection.municipality.name,
            "municipality_slug": connection.municipality.slug,
            "code": connection.department.code,
            "name": connection.department.name,
        }
    ]


def test_create_and_issue_goes_through_the_services(
    api, make_key, connection, supplier_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(
            "post",
            "/invoices",
            key=make_key(),
            json=_invoice_json(connection, issue=True, order_number="R8-0123"),
            idempotency_key=str(uuid.uuid4()),
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == InvoiceStatus.ISSUED
    assert body["order_number"] == "R8-0123"
    assert body["receipt_number"]
    # 25,000 at 10% and 360 at 8%: tax once per rate.
    assert (body["subtotal"], body["tax_total"], body["total"]) == (25360, 2528, 27888)
    assert [line["amount"] for line in body["lines"]] == ["25000", "360"]
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=body["id"])
        assert invoice.created_by == supplier_user
        assert invoice.events.filter(
            kind=EventKind.ISSUED, actor=supplier_user
        ).exists()
    # The department's staff were told, as for a screen-issued invoice.
    assert any(body["receipt_number"] in m.body for m in mail.outbox)


def test_a_resent_write_returns_the_first_answer_and_makes_one_invoice(
    api, make_key, connection
):
    key, idem = make_key(), str(uuid.uuid4())
    first = api(
        "post",
        "/invoices",
        key=key,
        json=_invoice_json(connection),
        idempotency_key=idem,
    )
    again = api(
        "post",
        "/invoices",
        key=key,
        json=_invoice_json(connection),
        idempotency_key=idem,
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    with scopes_disabled():
        assert Invoice.objects.filter(number="API-0001").count() == 1
    other = api(
        "post",
        "/invoices",
        key=key,
        json=_invoice_json(connection, number="API-0002"),
        idempotency_key=idem,
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["message"]


def test_a_write_without_an_idempotency_key_is_refused(api, make_key, connection):
    response = api("post", "/invoices", key=make_key(), json=_invoice_json(connection))
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]
    with scopes_disabled():
        assert not Invoice.objects.exists()


def test_bad_input_gets_the_screens_messages_by_field_path(api, make_key, connection):
    payload = _invoice_json(connection)
    payload["lines"][1]["quantity"] = "0"
    payload["lines"][0]["tax_category"] = "X"
    payload["department"] = 999999
    response = api(
        "post", "/invoices", key=make_key(), json=payload, idempotency_key="a1"
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {"department", "lines.0.tax_category", "lines.1.quantity"}
    assert errors["department"] == "宛先を一覧から選び直してください。"
    assert errors["lines.1.quantity"].startswith("2行目: ")
    with scopes_disabled():
        assert not Invoice.objects.exists()


def test_type_errors_are_japanese_too(api, make_key, connection):
    payload = _invoice_json(connection, issue_date="2026/11/40")
    del payload["number"]
    payload["lines"][0]["quantity"] = "十"
    response = api(
        "post", "/invoices", key=make_key(), json=payload, idempotency_key="a2"
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "number": "必須の項目です。",
        "issue_date": "日付は YYYY-MM-DD の形で指定してください。",
        "lines.0.quantity": "数値で指定してください。",
    }


def test_scopes_limit_what_a_key_may_do(api, make_key, connection):
    read = make_key(ApiScope.READ)
    response = api(
        "post",
        "/invoices",
        key=read,
        json=_invoice_json(connection),
        idempotency_key="b1",
    )
    assert response.status_code == 403
    assert "下書きの作成" in response.json()["message"]
    draft = make_key(ApiScope.DRAFT)
    response = api(
        "post",
        "/invoices",
        key=draft,
        json=_invoice_json(connection, issue=True),
        idempotency_key="b2",
    )
    assert response.status_code == 403
    created = api(
        "post",
        "/invoices",
        key=draft,
        json=_invoice_json(connection),
        idempotency_key="b3",
    )
    assert created.json()["status"] == InvoiceStatus.DRAFT
    refused = api(
        "post",
        f"/invoices/{created.json()['id']}/issue",
        key=draft,
        json={},
        idempotency_key="b4",
    )
    assert refused.status_code == 403


def test_issue_a_draft_once(api, make_key, connection):
    key = make_key()
    draft = api(
        "post",
        "/invoices",
        key=key,
        json=_invoice_json(connection),
        idempotency_key="c1",
    ).json()
    issued = api(
        "post", f"/invoices/{draft['id']}/issue", key=key, json={}, idempotency_key="c2"
    )
    assert issued.status_code == 200
    assert issued.json()["status"] == InvoiceStatus.ISSUED
    second = api(
        "post", f"/invoices/{draft['id']}/issue", key=key, json={}, idempotency_key="c3"
    )
    assert second.status_code == 409
    history = api("get", f"/invoices/{draft['id']}/history", key=key).json()
    assert [event["kind"] for event in history] == [EventKind.ISSUED]


def test_pdf_and_xml_of_an_issued_invoice(
    api, make_key, connection, django_capture_on_commit_callbacks
):
    key = make_key()
    draft = api(
        "post",
        "/invoices",
        key=key,
        json=_invoice_json(connection),
        idempotency_key="d1",
    ).json()
    # Until the worker has rendered it, the PDF is not there yet.
    with django_capture_on_commit_callbacks(execute=False):
        body = api(
            "post",
            f"/invoices/{draft['id']}/issue",
            key=key,
            json={},
            idempotency_key="d2",
        ).json()
    waiting = api("get", f"/invoices/{body['id']}/pdf", key=key)
    assert waiting.status_code == 202
    assert "作成中" in waiting.json()["message"]
    with scopes_disabled():
        invoice_pdf_render(invoice_id=body["id"])  # as the worker does
    pdf = api("get", f"/invoices/{body['id']}/pdf", key=key)
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xml = api("get", f"/invoices/{body['id']}/xml", key=key)
    assert xml.status_code == 200
    assert b"urn:peppol:pint:billing-1@jp-1" in xml.content
    with scopes_disabled():
        downloads = Invoice.objects.get(pk=body["id"]).events.filter(
            kind=EventKind.DOWNLOADED
        )
        assert {e.data["format"] for e in downloads} == {"pdf", "jp-pint"}


def test_list_pages_with_next_links(api, make_key, connection):
    key = make_key()
    for n in range(5):
        api(
            "post",
            "/invoices",
            key=key,
            json=_invoice_json(connection, number=f"API-{n}"),
            idempotency_key=f"e{n}",
        )
    seen, url = [], "/invoices?limit=2"
    while url:
        page = api("get", url, key=key).json()
        seen += [item["number"] for item in page["items"]]
        url = page["next"] and page["next"].split("/api/v1", 1)[1]
    assert seen == [f"API-{n}" for n in reversed(range(5))]


def test_a_key_sees_only_its_supplier(api, make_key, connection, other_supplier_user):
    from tests.factories import make_invoice

    with scopes_disabled():
        theirs = make_invoice(
            connection=other_supplier_user.supplier_membership.supplier.connections.get(),
            actor=other_supplier_user,
        )
    key = make_key()
    for path in (
        f"/invoices/{theirs.pk}",
        f"/invoices/{theirs.pk}/pdf",
        f"/invoices/{theirs.pk}/history",
    ):
        assert api("get", path, key=key).status_code == 404
    assert api("get", "/invoices", key=key).json()["items"] == []
    response = api(
        "post",
        "/invoices",
        key=key,
        json=_invoice_json(theirs.connection),
        idempotency_key="f1",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "department"


def test_revoked_expired_and_orphaned_keys_stop(api, make_key, supplier_user):
    from api.models import ApiKey
    from partners.models import SupplierMembership

    key = make_key()
    assert api("get", "/departments", key=key).status_code == 200
    ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert api("get", "/departments", key=key).status_code == 401
    expired = make_key(days=-1)
    assert api("get", "/departments", key=expired).status_code == 401
    orphan = make_key()
    SupplierMembership.objects.filter(user=supplier_user).delete()
    assert api("get", "/departments", key=orphan).status_code == 401


def test_every_call_is_logged_with_its_key(api, make_key):
    key = make_key()
    api("get", "/departments", key=key)
    api("get", "/invoices/999", key=key)
    calls = list(ApiCall.objects.order_by("pk").values_list("path", "status"))
    assert calls == [("/api/v1/departments", 200), ("/api/v1/invoices/999", 404)]


def test_rate_limit_per_key(api, make_key, settings):
    settings.API_RATE_LIMIT = "3/m"
    key, other = make_key(), make_key()
    codes = [api("get", "/departments", key=key).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api("get", "/departments", key=key)
    assert int(refused.headers["Retry-After"]) > 0
    assert "Retry-After" in refused.json()["message"]
    assert api("get", "/departments", key=other).status_code == 200


def test_schema_and_reference_are_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/invoices", "/api/v1/departments"} <= set(schema["paths"])
    assert client.get("/api/v1/reference/").status_code == 200
