"""CSV upload, issue 13.10: 明細備考 (a note per line, beside the invoice's
備考) carried onto the invoice's lines, its page, PDF, XML and the export in
the upload format; and a department code whose leading zeros Excel dropped
(``50`` for ``050``), read as the one department it matches with a notice
on the preview."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from lxml import etree

from invoices import csv_import
from invoices.csv_import import csv_parse
from invoices.models import ImportStatus, Invoice, InvoiceImport, InvoiceLine
from invoices.pdf import render_invoice_pdf
from invoices.services.drafts import LineInput
from invoices.services.issue import invoice_issue
from invoices.snapshot import lines_snapshot
from peppol.ubl import invoice_ubl
from tests.factories import ConnectionFactory, DepartmentFactory, make_invoice

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/supplier/invoices/import/"


def csv_bytes(rows: list[dict], *, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_import.COLUMNS)
    writer.writerows([row.get(c, "") for c in csv_import.COLUMNS] for row in rows)
    return out.getvalue().encode(encoding)


def line(department, number="N-1", **values) -> dict:
    return {
        "請求書番号": number,
        "宛先自治体コード": department.municipality.local_government_code,
        "宛先部署コード": department.code,
        "請求日": "2026-11-30",
        "取引日": "2026-11-15",
        "件名": "11月分 事務用品",
        "品名": "コピー用紙 A4",
        "数量": "10",
        "単位": "箱",
        "単価": "450",
        "税区分": "10%",
        "備考": "請求書全体の備考",
        **values,
    }


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def zero_department(tenant, supplier):
    """A department whose code starts with a zero, connected to the supplier
    (the municipality's codes are three digits wide)."""
    department = DepartmentFactory(
        municipality=tenant.municipality, code="050", name="監査委員事務局"
    )
    ConnectionFactory(supplier=supplier, department=department)
    return department


def test_a_cp932_file_with_line_notes_and_a_code_without_its_zero(
    client,
    supplier_user,
    supplier,
    zero_department,
    django_capture_on_commit_callbacks,
):
    rows = [
        line(zero_department, 宛先部署コード="50", 明細備考="11月4日納品分"),
        line(
            zero_department,
            宛先部署コード="50",
            品名="ボールペン（黒）",
            数量="20",
            単価="120",
            明細備考="髙橋様ご依頼分",  # a CP932 (IBM extension) character
        ),
        line(zero_department, 宛先部署コード="50", 品名="配送料", 数量="1"),
    ]
    data = csv_bytes(rows, encoding="cp932")
    client.force_login(supplier_user)
    file = io.BytesIO(data)
    file.name = "invoices.csv"
    response = client.post(UPLOAD_URL, {"file": file, "mode": "draft"})
    with scopes_disabled():
        (upload,) = InvoiceImport.objects.filter(supplier=supplier)
    assert upload.status == ImportStatus.READY, upload.preview["errors"]
    assert upload.encoding == "cp932"

    preview = _text(client.get(response.url))
    for row in (2, 3, 4):
        assert (
            f"{row}行目「宛先部署コード」: 部署コード 50 を 050 として読み取りました"
        ) in preview
    assert f"{zero_department.municipality.name} 監査委員事務局" in preview

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("supplier:invoice_import_confirm", args=[upload.pk]))
    with scopes_disabled():
        invoice = Invoice.objects.get(supplier=supplier, number="N-1")
        notes = list(invoice.lines.order_by("position").values_list("note", flat=True))
    assert invoice.department == zero_department
    assert invoice.notes == "請求書全体の備考"
    assert notes == ["11月4日納品分", "髙橋様ご依頼分", ""]

    # On the invoice page, under the line's item name.
    page = client.get(reverse("supplier:invoice", args=[invoice.pk])).content.decode()
    assert (
        'ボールペン（黒）<br><small class="invoice-lines__note">髙橋様ご依頼分</small>'
    ) in page


def test_line_notes_are_printed_sent_and_exported(
    client, supplier_user, supplier, connection
):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection,
            actor=supplier_user,
            lines=[
                LineInput(
                    "コピー用紙 A4", Decimal(10), Decimal(450), "S", "箱", "500枚入り"
                ),
                LineInput("お茶（来客用）", Decimal(3), Decimal(120), "AA", "本"),
            ],
        )
        assert invoice.snapshot["lines"][0]["note"] == "500枚入り"
        assert "note" not in invoice.snapshot["lines"][1]
        pdf = render_invoice_pdf(invoice)
        xml = etree.fromstring(invoice_ubl(invoice))
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    # Under the item name: the next line of text.
    assert re.search(r"コピー用紙 A4[^\n]*\n500枚入り", text), text
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    ns["cac"] = ns["cbc"].replace("CommonBasic", "CommonAggregate")
    assert [
        line.findtext("cbc:Note", namespaces=ns)
        for line in xml.findall("cac:InvoiceLine", ns)
    ] == ["500枚入り", None]

    client.force_login(supplier_user)
    export = client.get(
        reverse("supplier:invoice_export_upload_format"), {"format": "csv-cp932"}
    )
    content = b"".join(export.streaming_content)  # the export streams
    rows = list(csv.DictReader(io.StringIO(content.decode("cp932"))))
    assert [row["明細備考"] for row in rows] == ["500枚入り", ""]


def test_an_invoice_without_line_notes_keeps_its_snapshot(supplier_user, connection):
    """Lines without a note have no "note" key, so invoices issued before
    lines had notes still verify against their content hash."""
    with scopes_disabled():
        invoice = make_invoice(connection=connection, actor=supplier_user)
        assert all("note" not in line for line in lines_snapshot(invoice))
        assert set(invoice.snapshot["lines"][0]) == {
            "position",
            "description",
            "quantity",
            "unit",
            "unit_price",
            "tax_category",
            "amount",
        }


def test_the_template_and_help_carry_the_line_note(client, supplier_user, connection):
    client.force_login(supplier_user)
    template = client.get(reverse("supplier:invoice_import_template"))
    rows = list(csv.DictReader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert any(row["明細備考"] for row in rows)
    # Lines of one invoice may differ in 明細備考.
    notes_by_number = {}
    for row in rows:
        notes_by_number.setdefault(row["請求書番号"], set()).add(row["明細備考"])
    assert any(len(notes) > 1 for notes in notes_by_number.values())
    help_page = _text(client.get(reverse("supplier:invoice_import_help")))
    assert "明細備考" in help_page
    assert "行ごとに違う値を入れられます" in help_page


def test_line_notes_may_differ_but_the_invoice_s_notes_may_not(supplier, department):
    rows = [
        line(department, 明細備考="A"),
        line(department, 明細備考="B"),
        line(department, 備考="別の備考"),
    ]
    result = csv_parse(data=csv_bytes(rows, encoding="utf-8-sig"), supplier=supplier)
    assert [(e.row, e.column) for e in result.errors] == [(4, "備考")]


def test_a_line_note_over_200_characters_is_an_error(supplier, department):
    rows = [line(department, 明細備考="あ" * 201)]
    result = csv_parse(data=csv_bytes(rows, encoding="utf-8-sig"), supplier=supplier)
    assert [str(e) for e in result.errors] == [
        "2行目「明細備考」: 明細備考は200文字以内にしてください（いまは201文字）。"
    ]


def test_a_file_without_the_line_note_column_still_reads(supplier, department):
    columns = [c for c in csv_import.COLUMNS if c != "明細備考"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([line(department).get(c, "") for c in columns])
    result = csv_parse(data=out.getvalue().encode("utf-8-sig"), supplier=supplier)
    assert result.ok
    assert result.invoices[0].lines[0].note == ""


@pytest.fixture
def department(tenant):
    return tenant.department


# Department codes without their leading zeros ------------------------------


def test_a_code_that_matches_two_departments_once_padded_is_an_error(
    supplier, tenant, zero_department
):
    DepartmentFactory(municipality=tenant.municipality, code="0050")
    rows = [line(zero_department, 宛先部署コード="50")]
    result = csv_parse(data=csv_bytes(rows, encoding="cp932"), supplier=supplier)
    assert result.notices == ()
    assert [str(e) for e in result.errors] == [
        f"2行目「宛先部署コード」: {tenant.municipality.name}に部署コード「50」の"
        "部署はありません。自治体から知らされた部署コードを確認してください。"
        "「0050」、「050」 のどれかのことなら、Excelで先頭の0が消えています。"
        "セルの書式を文字列にして保存し直してください。"
    ]


def test_a_code_that_matches_nothing_once_padded_is_the_usual_error(
    supplier, tenant, zero_department
):
    rows = [line(zero_department, 宛先部署コード="51")]
    result = csv_parse(data=csv_bytes(rows, encoding="cp932"), supplier=supplier)
    assert result.notices == ()
    assert [str(e) for e in result.errors] == [
        f"2行目「宛先部署コード」: {tenant.municipality.name}に部署コード「51」の"
        "部署はありません。自治体から知らされた部署コードを確認してください。"
    ]


def test_a_padded_code_of_another_municipality_is_not_used(
    supplier, other_tenant, zero_department
):
    """The padding looks only among the departments of the municipality the
    row names."""
    DepartmentFactory(municipality=other_tenant.municipality, code="060")
    rows = [line(zero_department, 宛先部署コード="60")]
    result = csv_parse(data=csv_bytes(rows, encoding="cp932"), supplier=supplier)
    assert not result.ok
    assert result.notices == ()


def test_a_padded_code_still_needs_a_connection(supplier, tenant):
    DepartmentFactory(municipality=tenant.municipality, code="070", name="議会事務局")
    rows = [{**line(tenant.department), "宛先部署コード": "70"}]
    result = csv_parse(data=csv_bytes(rows, encoding="cp932"), supplier=supplier)
    assert [str(n) for n in result.notices] == [
        "2行目「宛先部署コード」: 部署コード 70 を 070 として読み取りました"
        "（Excelで先頭の0が消えたものとみなしました）。"
    ]
    (error,) = result.errors
    assert "議会事務局 とはまだ取引の登録がありません" in str(error)


def test_the_import_command_prints_the_notices(
    supplier, supplier_user, zero_department, tmp_path, capsys
):
    from django.core.management import call_command

    path = tmp_path / "invoices.csv"
    path.write_bytes(
        csv_bytes([line(zero_department, 宛先部署コード="50")], encoding="cp932")
    )
    call_command(
        "import_invoices",
        str(path),
        supplier=supplier.registration_number,
        dry_run=True,
    )
    assert "部署コード 50 を 050 として読み取りました" in capsys.readouterr().out


def test_the_line_note_is_entered_on_screen_and_copied(
    client, supplier_user, supplier, connection
):
    client.force_login(supplier_user)
    data = {
        "connection": connection.pk,
        "number": "S-1",
        "issue_date": "2026-11-30",
        "transaction_date": "2026-11-15",
        "price_basis": "exclusive",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "コピー用紙 A4",
        "lines-0-note": "500枚入り",
        "lines-0-quantity": "10",
        "lines-0-unit_price": "450",
        "lines-0-tax_category": "S",
        "lines-0-ORDER": "1",
        "lines-1-description": "配送料",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "500",
        "lines-1-tax_category": "S",
        "lines-1-ORDER": "2",
    }
    response = client.post(reverse("supplier:invoice_new"), data)
    assert response.status_code == 302
    with scopes_disabled():
        draft = Invoice.objects.get(supplier=supplier, number="S-1")
        assert list(
            InvoiceLine.objects.filter(invoice=draft)
            .order_by("position")
            .values_list("note", flat=True)
        ) == ["500枚入り", ""]
        invoice_issue(invoice=draft, actor=supplier_user)
    page = client.get(reverse("supplier:invoice_copy", args=[draft.pk]))
    rows = [form.initial for form in page.context["formset"].forms if form.initial]
    assert [row["note"] for row in rows] == ["500枚入り", ""]
    edit = client.get(reverse("supplier:invoice_copy", args=[draft.pk]))
    assert 'value="500枚入り"' in edit.content.decode()
