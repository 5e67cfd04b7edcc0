"""Export in the upload format: one row per line in the columns of the CSV
bulk upload, for suppliers (their invoices) and staff (their inbox), in
CP932 or UTF-8 with a BOM, formula-escaped, recorded in the histories, and
uploadable again as new invoices."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from invoices import csv_import
from invoices.models import (
    EventKind,
    ImportStatus,
    Invoice,
    InvoiceEvent,
    InvoiceImport,
)
from invoices.selectors import invoice_events
from invoices.services.drafts import LineInput
from tests.factories import ConnectionFactory, StaffMembershipFactory, make_invoice

pytestmark = pytest.mark.django_db

SUPPLIER_EXPORT = "/supplier/invoices/export/upload-format/"
CITY_EXPORT = "/m/kanoya/invoices/export/upload-format/"


@pytest.fixture
def invoices(connection, supplier_user):
    """An issued invoice over a period with a formula in its subject and an
    8% line, an issued one-day invoice, and a draft."""
    with scopes_disabled():
        return [
            make_invoice(
                connection=connection,
                actor=supplier_user,
                number="P-1",
                transaction_date=date(2026, 11, 1),
                transaction_end_date=date(2026, 11, 30),
                subject='=HYPERLINK("https://example.com","x")',
                notes="11月分",
            ),
            make_invoice(
                connection=connection,
                actor=supplier_user,
                number="D-1",
                transaction_date=date(2026, 11, 15),
                lines=[
                    LineInput("髙橋様 ① 作業", Decimal("1.5"), Decimal("1200"), "S")
                ],
            ),
            make_invoice(
                connection=connection,
                actor=supplier_user,
                number="DRAFT-1",
                transaction_date=date(2026, 11, 20),
                issue=False,
            ),
        ]


def _rows(data: bytes, encoding: str) -> list[dict]:
    header, *rows = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    assert tuple(header) == csv_import.COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_supplier_export_has_a_row_per_line_with_codes_and_tax_labels(
    client, supplier_user, connection, invoices
):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_EXPORT, {"format": "csv-cp932"})
    assert response["Content-Type"] == "text/csv; charset=Windows-31J"
    assert "invoices_upload_" in response["Content-Disposition"]
    data = response.getvalue()  # streamed: read once
    assert b"\n" not in data.replace(b"\r\n", b"")
    rows = _rows(data, "cp932")
    by_number = {}
    for row in rows:
        by_number.setdefault(row["請求書番号"], []).append(row)
    assert set(by_number) == {"P-1", "D-1"}  # drafts only when asked for
    first, second = by_number["P-1"]
    assert first == {
        "請求書番号": "P-1",
        "宛先自治体コード": "462039",
        "宛先部署コード": connection.department.code,
        "請求日": first["請求日"],
        "取引日": "",
        "取引開始日": "2026-11-01",
        "取引終了日": "2026-11-30",
        "支払期日": "",
        "件名": '\'=HYPERLINK("https://example.com","x")',
        "注文番号": "",
        "品名": "コピー用紙 A4",
        "数量": "10",
        "単位": "箱",
        "単価": "450",
        "税区分": "10%",
        "備考": "11月分",
        "明細備考": "",
    }
    assert (second["品名"], second["数量"], second["税区分"]) == (
        "お茶（来客用）",
        "3",
        "8%",
    )
    (one_day,) = by_number["D-1"]
    assert (one_day["取引日"], one_day["取引開始日"], one_day["取引終了日"]) == (
        "2026-11-15",
        "",
        "",
    )
    assert (one_day["品名"], one_day["数量"]) == ("髙橋様 ① 作業", "1.5")


def test_utf8_export_has_a_bom_and_drafts_on_request(client, supplier_user, invoices):
    client.force_login(supplier_user)
    response = client.get(
        SUPPLIER_EXPORT, {"format": "csv-utf8", "include_drafts": "on"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = response.getvalue()  # streamed: read once
    assert data.startswith(b"\xef\xbb\xbf")
    numbers = {row["請求書番号"] for row in _rows(data, "utf-8-sig")}
    assert numbers == {"P-1", "D-1", "DRAFT-1"}


def test_supplier_export_follows_the_search_conditions(client, supplier_user, invoices):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_EXPORT, {"format": "csv-utf8", "number": "D-1"})
    assert {row["請求書番号"] for row in _rows(response.getvalue(), "utf-8-sig")} == {
        "D-1"
    }


def test_the_export_is_in_the_issued_invoices_histories(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    client.get(SUPPLIER_EXPORT, {"format": "csv-cp932", "include_drafts": "on"})
    with scopes_disabled():
        exported = {
            invoice.number: [
                event.data["format"]
                for event in invoice_events(invoice)
                if event.kind == EventKind.EXPORTED
            ]
            for invoice in Invoice.objects.all()
        }
    assert exported == {
        "P-1": ["upload-csv-cp932"],
        "D-1": ["upload-csv-cp932"],
        "DRAFT-1": [],
    }


def test_an_export_uploads_again_as_new_invoices(
    client, supplier_user, invoices, django_capture_on_commit_callbacks
):
    client.force_login(supplier_user)
    exported = client.get(SUPPLIER_EXPORT, {"format": "csv-cp932"}).getvalue()
    # Renumbered in Excel, without the formula's escaping quote.
    text = exported.decode("cp932").replace("P-1", "P-2").replace("D-1", "D-2")
    text = text.replace("'=HYPERLINK", "HYPERLINK")
    file = io.BytesIO(text.encode("cp932"))
    file.name = "again.csv"
    client.post("/supplier/invoices/import/", {"file": file, "mode": "draft"})
    upload = InvoiceImport.objects.get()
    assert upload.status == ImportStatus.READY, upload.preview["errors"]
    totals = {i["number"]: i["total"] for i in upload.preview["invoices"]}
    assert totals == {"P-2": str(invoices[0].total), "D-2": str(invoices[1].total)}


def test_an_unknown_format_is_404_and_no_match_goes_back(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    assert client.get(SUPPLIER_EXPORT, {"format": "zip"}).status_code == 404
    response = client.get(SUPPLIER_EXPORT, {"format": "csv-utf8", "number": "NONE"})
    assert response.status_code == 302
    assert response.url == "/supplier/invoices/search/?number=NONE"


def test_the_supplier_list_links_to_both_encodings(client, supplier_user, invoices):
    client.force_login(supplier_user)
    page = client.get("/supplier/invoices/").content.decode()
    for file_format in ("csv-cp932", "csv-utf8"):
        assert (
            f'href="{SUPPLIER_EXPORT}?format={file_format}&amp;include_drafts=on"'
            in page
        )


# City staff


def test_staff_export_their_inbox_only(
    client, tenant, other_tenant, connection, invoices, other_supplier_user
):
    other_department = ConnectionFactory(
        supplier=connection.supplier, department=tenant.other_department
    )
    with scopes_disabled():
        make_invoice(
            connection=other_department, actor=invoices[0].created_by, number="O-1"
        )
    client.force_login(tenant.department_staff)
    response = client.get(CITY_EXPORT, {"format": "csv-cp932"})
    numbers = {row["請求書番号"] for row in _rows(response.getvalue(), "cp932")}
    assert numbers == {"P-1", "D-1"}  # not the other department's, no drafts

    client.force_login(tenant.treasury)
    response = client.get(CITY_EXPORT, {"format": "csv-utf8", "number": "O-1"})
    assert {row["請求書番号"] for row in _rows(response.getvalue(), "utf-8-sig")} == {
        "O-1"
    }


def test_staff_export_follows_the_inbox_filters_and_is_recorded(
    client, tenant, invoices
):
    client.force_login(tenant.department_staff)
    response = client.get(
        CITY_EXPORT, {"format": "csv-utf8", "date_from": "2026-11-10"}
    )
    assert {row["請求書番号"] for row in _rows(response.getvalue(), "utf-8-sig")} == {
        "P-1",  # its period runs to 11-30
        "D-1",
    }
    response = client.get(CITY_EXPORT, {"format": "csv-utf8", "unopened": "on"})
    assert response.status_code == 200
    with scopes_disabled():
        # Each export's chunk is one event listing its invoices.
        events = InvoiceEvent.objects.filter(
            kind=EventKind.EXPORTED, actor=tenant.department_staff
        )
        assert sum(len(event.data["invoices"]) for event in events) == 4


def test_the_inbox_links_to_the_export_with_its_filters(client, tenant, invoices):
    client.force_login(tenant.department_staff)
    page = client.get("/m/kanoya/inbox/", {"unopened": "on"}).content.decode()
    assert f'href="{CITY_EXPORT}?unopened=on&amp;format=csv-cp932"' in page


def test_staff_of_another_municipality_get_404(client, other_tenant, invoices):
    client.force_login(other_tenant.city_admin)
    assert client.get(CITY_EXPORT, {"format": "csv-utf8"}).status_code == 404
    staff = StaffMembershipFactory(municipality=other_tenant.municipality).user
    client.force_login(staff)
    response = client.get(
        "/m/kirishima/invoices/export/upload-format/", {"format": "csv-utf8"}
    )
    assert response.status_code == 302  # nothing of theirs matches
