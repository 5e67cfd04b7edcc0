"""Remittance data (取引明細データ): each payment notice as CSV (CP932 for
Excel, UTF-8 with a BOM) and JSON, a period at once, for the supplier and
the treasury; the notice number is the EDI情報 of the transfer in the
Zengin file; each download is in the invoices' history."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, InvoiceEvent
from municipality.models import FeeBearer, PaymentNotice
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from tests.factories import PASSWORD, payment_day_reached
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db


def paid_batch(tenant, invoices, *, mark_paid=True):
    """A batch of ``invoices`` exported (and paid); returns it."""
    batch = batch_create(
        municipality=tenant.municipality,
        payment_date=business_day_after(timezone.localdate()),
        actor=tenant.treasury,
    )
    batch_add_invoices(
        batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )
    batch_export(batch=batch, actor=tenant.treasury)
    if mark_paid:
        batch_mark_paid(batch=payment_day_reached(batch), actor=tenant.treasury)
    return batch


@pytest.fixture
def world(tenant):
    with scopes_disabled():
        make_settings(tenant.municipality, fee_bearer=FeeBearer.PAYEE)
        user, connection = make_supplier(tenant.department)
        invoices = [make_approved(tenant, user, connection) for _ in range(2)]
        batch = paid_batch(tenant, invoices)
        notice = PaymentNotice.objects.get(batch=batch)
    return {"user": user, "invoices": invoices, "batch": batch, "notice": notice}


def total(world) -> int:
    return int(sum(invoice.total for invoice in world["invoices"]))


def _login(client, user):
    client.login(email=user.email, password=PASSWORD)


def _rows(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_the_notice_number_is_the_edi_of_its_transfer(world):
    """Read the data record of the Zengin file by the layout (zengin.md
    §1.3: EDI情報 at 92-111, 識別表示 Y at 113)."""
    notice = world["notice"]
    with world["batch"].zengin_file.open("rb") as f:
        records = [r for r in f.read().split(b"\r\n") if r]
    (data,) = [r for r in records if r[:1] == b"2"]
    assert data[91:111].decode("cp932").rstrip() == notice.number
    assert data[112:113] == b"Y"
    assert int(data[80:90]) == notice.transfer_amount


@pytest.mark.parametrize(
    ("fmt", "encoding", "bom"),
    [("csv-cp932", "cp932", False), ("csv-utf8", "utf-8-sig", True)],
)
def test_a_supplier_downloads_a_notice_as_csv(client, world, fmt, encoding, bom):
    notice = world["notice"]
    _login(client, world["user"])
    response = client.get(
        f"/supplier/payment-notices/{notice.pk}/export/", {"format": fmt}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"\xef\xbb\xbf") is bom
    header, *rows = _rows(response.content, encoding)
    assert header[:8] == [
        "支払通知番号",
        "EDI情報",
        "支払日",
        "支払者",
        "請求額合計",
        "源泉徴収税額合計",
        "振込手数料",
        "振込額",
    ]
    assert header[8:12] == ["請求書番号", "受付番号", "部署コード", "部署名"]
    assert len(rows) == 2
    by_receipt = {row[9]: row for row in rows}
    for invoice in world["invoices"]:
        row = by_receipt[invoice.receipt_number]
        assert row[0] == row[1] == notice.number
        assert row[2] == notice.batch.payment_date.isoformat()
        assert row[3] == "鹿屋市"
        assert row[4] == str(total(world))
        assert row[6] == "440"  # 先方負担, another bank, under 30,000 yen
        assert row[7] == str(total(world) - 440)
        assert row[8] == invoice.number
        assert row[11] == invoice.department.name
        assert row[13] == str(invoice.total)


def test_a_supplier_downloads_a_notice_as_json(client, world):
    notice = world["notice"]
    _login(client, world["user"])
    response = client.get(
        f"/supplier/payment-notices/{notice.pk}/export/", {"format": "json"}
    )
    assert response["Content-Type"] == "application/json"
    document = json.loads(response.content)
    assert document["format"] == "remittance"
    (data,) = document["notices"]
    assert data["number"] == data["edi"] == notice.number
    assert (data["amount"], data["fee"], data["withholding_tax"]) == (
        total(world),
        440,
        0,
    )
    assert data["transfer_amount"] == total(world) - 440
    assert sorted(i["receipt_number"] for i in data["invoices"]) == sorted(
        i.receipt_number for i in world["invoices"]
    )
    assert {i["amount"] for i in data["invoices"]} == {
        int(i.total) for i in world["invoices"]
    }
    with scopes_disabled():
        events = InvoiceEvent.objects.filter(
            invoice__in=world["invoices"], kind=EventKind.DOWNLOADED
        )
        assert [e.data for e in events] == [
            {"format": "remittance_json", "notice": notice.number}
        ] * 2


def test_an_unknown_format_is_explained(client, world):
    notice = world["notice"]
    _login(client, world["user"])
    response = client.get(
        f"/supplier/payment-notices/{notice.pk}/export/",
        {"format": "xlsx"},
        follow=True,
    )
    assert "形式は CSV（Shift_JIS）・CSV（UTF-8）・JSON から選んでください。" in (
        response.content.decode()
    )


def test_a_supplier_downloads_every_notice_of_a_period(client, tenant, world):
    with scopes_disabled():
        user, connection = world["user"], world["invoices"][0].connection
        second = paid_batch(tenant, [make_approved(tenant, user, connection)])
        notices = set(PaymentNotice.objects.values_list("number", flat=True))
    assert len(notices) == 2
    today = timezone.localdate()
    _login(client, user)
    query = {
        "date_from": f"{today - timedelta(days=1):%Y-%m-%d}",
        "date_to": f"{today:%Y/%m/%d}",
        "format": "json",
    }
    response = client.get("/supplier/payment-notices/export/", query)
    numbers = {n["number"] for n in json.loads(response.content)["notices"]}
    assert numbers == notices
    csv_response = client.get(
        "/supplier/payment-notices/export/", {**query, "format": "csv-cp932"}
    )
    assert len(_rows(csv_response.content, "cp932")) == 1 + 3
    assert second.number in csv_response.content.decode("cp932")

    empty = client.get(
        "/supplier/payment-notices/export/",
        {**query, "date_from": "2020-01-01", "date_to": "2020-01-31"},
        follow=True,
    )
    assert "この期間に支払日のある支払通知はありません。" in empty.content.decode()
    reversed_period = client.get(
        "/supplier/payment-notices/export/",
        {**query, "date_from": "2026-02-01", "date_to": "2026-01-01"},
        follow=True,
    )
    assert "期間の末日が初日より前です。" in reversed_period.content.decode()
    too_long = client.get(
        "/supplier/payment-notices/export/",
        {**query, "date_from": "2024-01-01", "date_to": "2026-01-01"},
        follow=True,
    )
    assert "期間は366日以内にしてください。" in too_long.content.decode()


def test_another_supplier_gets_nothing_of_the_period(
    client, world, other_supplier_user
):
    today = timezone.localdate()
    _login(client, other_supplier_user)
    assert (
        client.get(
            f"/supplier/payment-notices/{world['notice'].pk}/export/"
        ).status_code
        == 404
    )
    response = client.get(
        "/supplier/payment-notices/export/",
        {"date_from": f"{today:%Y-%m-%d}", "date_to": f"{today:%Y-%m-%d}"},
        follow=True,
    )
    assert world["notice"].number not in response.content.decode()


def test_the_treasury_downloads_a_batch_and_a_period(client, tenant, world):
    today = f"{timezone.localdate():%Y-%m-%d}"
    _login(client, tenant.treasury)
    batch = world["batch"]
    response = client.get(
        f"/m/kanoya/treasury/batches/{batch.pk}/remittance/", {"format": "csv-utf8"}
    )
    _header, *rows = _rows(response.content, "utf-8-sig")
    assert {row[0] for row in rows} == {world["notice"].number}
    period = client.get(
        "/m/kanoya/treasury/remittance/",
        {"date_from": today, "date_to": today, "format": "json"},
    )
    assert [n["number"] for n in json.loads(period.content)["notices"]] == [
        world["notice"].number
    ]
    page = client.get(f"/m/kanoya/treasury/batches/{batch.pk}/").content.decode()
    assert f"/m/kanoya/treasury/batches/{batch.pk}/remittance/?format=json" in page
    assert 'action="/m/kanoya/treasury/remittance/"' in client.get(
        "/m/kanoya/treasury/batches/"
    ).content.decode("utf-8")


def test_the_supplier_pages_offer_the_downloads(client, world):
    notice = world["notice"]
    _login(client, world["user"])
    listing = client.get("/supplier/payment-notices/").content.decode()
    assert 'action="/supplier/payment-notices/export/"' in listing
    detail = client.get(f"/supplier/payment-notices/{notice.pk}/").content.decode()
    for fmt in ("csv-cp932", "csv-utf8", "json"):
        assert f"/supplier/payment-notices/{notice.pk}/export/?format={fmt}" in detail
