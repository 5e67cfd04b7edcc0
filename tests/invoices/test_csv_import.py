"""CSV bulk upload (invoices.csv_import): decoding of what Excel and sales
systems produce, every problem with its row, column and value, the preview,
and the import through the services of screen entry, all or nothing.

The files are built here from Python strings, encoded as the real ones are.
"""

import csv
import io
import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.audit_verify import chain_verify
from invoices.csv_import import (
    COLUMNS,
    TAX_CATEGORY_LABELS,
    CsvImportError,
    ParseResult,
    RowError,
    assembly,
    csv_import,
    csv_parse,
    preview_json,
    writing,
)
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceEvent,
    InvoicePdf,
    InvoiceStatus,
    TaxCategory,
)
from invoices.services.drafts import LineInput
from invoices.snapshot import content_hash, invoice_content_problem, invoice_snapshot
from invoices.tax import invoice_totals, line_amount
from partners.models import BankAccount, Connection
from tests.factories import ConnectionFactory, DepartmentFactory, make_invoice

pytestmark = pytest.mark.django_db

HEADER = (
    "請求書番号",
    "宛先自治体コード",
    "宛先部署コード",
    "請求日",
    "取引日",
    "件名",
    "品名",
    "数量",
    "単位",
    "単価",
    "税区分",
    "備考",
)


def line(department, **values) -> dict:
    """One row of the file: a line of invoice A-1 to ``department``."""
    return {
        "請求書番号": "A-1",
        "宛先自治体コード": department.municipality.local_government_code,
        "宛先部署コード": department.code,
        "請求日": "2026-11-01",
        "取引日": "2026-10-31",
        "件名": "事務用品",
        "品名": "コピー用紙 A4",
        "数量": "10",
        "単位": "箱",
        "単価": "450",
        "税区分": "10%",
        "備考": "",
        **values,
    }


def csv_file(rows, *, header=HEADER, encoding="utf-8-sig", newline="\r\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def department(tenant):
    return tenant.department


def texts(result: ParseResult) -> list[str]:
    return [str(error) for error in result.errors]


def only_error(result: ParseResult) -> RowError:
    (error,) = result.errors
    return error


def supplier_invoices(supplier):
    with scopes_disabled():
        return list(Invoice.objects.filter(supplier=supplier).order_by("pk"))


# The API the upload pages build on ------------------------------------------


def test_columns_and_tax_labels_are_those_of_the_template():
    assert COLUMNS == (
        "請求書番号",
        "宛先自治体コード",
        "宛先部署コード",
        "請求日",
        "取引日",
        "取引開始日",
        "取引終了日",
        "支払期日",
        "件名",
        "注文番号",
        "品名",
        "数量",
        "単位",
        "単価",
        "税区分",
        "備考",
        "明細備考",
    )
    assert TAX_CATEGORY_LABELS == {
        "10%": TaxCategory.STANDARD,
        "8%": TaxCategory.REDUCED,
        "非課税": TaxCategory.EXEMPT,
        "不課税": TaxCategory.OUT_OF_SCOPE,
        "免税": TaxCategory.EXPORT,
    }


def test_a_file_becomes_invoices_with_their_addressee_and_totals(
    supplier, department, connection
):
    data = csv_file(
        [
            line(department),
            line(department, 品名="お茶（来客用）", 数量="3", 単価="120", 税区分="8%"),
            line(department, 請求書番号="A-2", 品名="封筒", 数量="100", 単価="12"),
        ]
    )
    result = csv_parse(data=data, supplier=supplier)
    assert result.ok
    assert result.errors == ()
    assert result.encoding == "utf-8-sig"
    assert result.line_count == 3
    first, second = result.invoices
    assert first.number == "A-1"
    assert first.connection_id == connection.pk
    assert (first.municipality_name, first.department_name) == (
        "鹿屋市",
        department.name,
    )
    assert first.rows == (2, 3)
    assert first.lines == (
        LineInput("コピー用紙 A4", Decimal(10), Decimal(450), "S", "箱"),
        LineInput("お茶（来客用）", Decimal(3), Decimal(120), "AA", "箱"),
    )
    assert first.fields == {
        "number": "A-1",
        "issue_date": date(2026, 11, 1),
        "transaction_date": date(2026, 10, 31),
        "transaction_end_date": None,
        "due_date": None,
        "subject": "事務用品",
        "order_number": "",
        "notes": "",
        "price_basis": "exclusive",
    }
    assert first.buckets == (
        ("10%（標準税率）", Decimal(4500), Decimal(450)),
        ("8%（軽減税率）", Decimal(360), Decimal(28)),
    )
    assert (first.subtotal, first.tax_total, first.total) == (4860, 478, 5338)
    assert (second.number, second.rows, second.total) == ("A-2", (4,), 1320)


def test_tax_is_computed_once_per_rate_as_on_screen(supplier, department):
    """Three lines of 105 yen: 31 yen tax on 315, not 3 × 10 (基通1-8-15)."""
    data = csv_file([line(department, 数量="1", 単価="105")] * 3)
    (invoice,) = csv_parse(data=data, supplier=supplier).invoices
    screen = invoice_totals(
        lines=[
            (
                "S",
                line_amount(
                    quantity=Decimal(1), unit_price=Decimal(105), rounding="floor"
                ),
            )
        ]
        * 3,
        price_basis="exclusive",
        rounding="floor",
    )
    assert invoice.tax_total == screen.tax_total == 31
    assert invoice.total == screen.total == 346


def test_supplier_rounding_and_price_basis_apply(supplier, department):
    supplier.tax_rounding = "ceiling"
    supplier.default_price_basis = "inclusive"
    supplier.save()
    data = csv_file([line(department, 数量="1", 単価="1,000")])
    (invoice,) = csv_parse(data=data, supplier=supplier).invoices
    assert invoice.fields["price_basis"] == "inclusive"
    # 1,000 × 10/110 = 90.9… rounded up; the total is the tax-inclusive sum.
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (1000, 91, 1000)


def test_preview_json_is_json_with_amounts_as_strings(supplier, department):
    data = csv_file(
        [line(department), line(department, 請求書番号="A-2", 数量="１０個")]
    )
    preview = preview_json(csv_parse(data=data, supplier=supplier))
    assert json.loads(json.dumps(preview)) == preview
    assert preview["ok"] is False
    assert preview["encoding_label"] == "UTF-8（BOM付き）"
    assert preview["invoice_count"] == 1
    (invoice,) = preview["invoices"]
    assert invoice["municipality"] == "鹿屋市"
    assert invoice["line_count"] == 1
    assert invoice["total"] == "4950"
    assert invoice["buckets"] == [
        {"label": "10%（標準税率）", "taxable": "4500", "tax": "450"}
    ]
    (error,) = preview["errors"]
    assert error["row"] == 3
    assert error["column"] == "数量"
    assert error["value"] == "１０個"
    assert error["text"].startswith("3行目「数量」: 「１０個」は数値として読めません。")


def test_progress_is_reported_every_200_lines_and_at_the_end(supplier, department):
    rows = [line(department, 請求書番号=f"A-{n // 5}") for n in range(450)]
    calls = []
    csv_parse(
        data=csv_file(rows),
        supplier=supplier,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(200, 450), (400, 450), (450, 450)]


def test_validation_reads_the_database_a_fixed_number_of_times(supplier, department):
    """Municipalities, departments, connections, numbers in use: whatever
    the size of the file, and nothing is written."""
    small = csv_file([line(department)])
    large = csv_file(
        [line(department, 請求書番号=f"A-{n}", 品名=f"品目{n}") for n in range(300)]
    )
    for data in (small, large):
        with CaptureQueriesContext(db_connection) as queries:
            assert csv_parse(data=data, supplier=supplier).ok
        assert len(queries) == 4
        assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    assert supplier_invoices(supplier) == []


# Decoding -------------------------------------------------------------------


def test_cp932_keeps_machine_dependent_characters(supplier, department):
    """Excel's 「CSV（コンマ区切り）」 on Japanese Windows: CP932 without a
    BOM. ①, ㈱ and 髙 are not in shift_jis; they must arrive unchanged."""
    data = csv_file(
        [line(department, 品名="髙島屋 封筒①", 件名="㈱おおすみ文具 11月分")],
        encoding="cp932",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("shift_jis")
    result = csv_parse(data=data, supplier=supplier)
    assert result.encoding == "cp932"
    (invoice,) = result.invoices
    assert invoice.lines[0].description == "髙島屋 封筒①"
    assert invoice.fields["subject"] == "㈱おおすみ文具 11月分"


def test_cp932_yen_sign_byte_is_read_as_yen(supplier, department):
    # Byte 5C is ¥ in Japanese fonts and decodes as a backslash.
    data = csv_file([line(department, 単価="\\1,200")], encoding="cp932")
    assert b'"\x5c1,200"' in data
    (invoice,) = csv_parse(data=data, supplier=supplier).invoices
    assert invoice.lines[0].unit_price == 1200


@pytest.mark.parametrize(
    ("encoding", "newline", "expected"),
    [
        ("utf-8-sig", "\r\n", "utf-8-sig"),
        ("utf-8", "\n", "utf-8"),
        ("utf-8", "\r\n", "utf-8"),
        ("cp932", "\n", "cp932"),
    ],
)
def test_encodings_and_line_ends(supplier, department, encoding, newline, expected):
    data = csv_file(
        [line(department), line(department, 品名="ホチキス針")],
        encoding=encoding,
        newline=newline,
    )
    result = csv_parse(data=data, supplier=supplier)
    assert result.encoding == expected
    (invoice,) = result.invoices
    assert [x.description for x in invoice.lines] == ["コピー用紙 A4", "ホチキス針"]


def test_a_cell_with_a_line_break_keeps_the_row_numbers(supplier, department):
    data = csv_file(
        [
            line(department, 品名="コピー用紙\nA4 白"),
            line(department, 数量="十"),
        ]
    )
    error = only_error(csv_parse(data=data, supplier=supplier))
    assert (error.row, error.column) == (3, "数量")


def test_undecodable_byte_in_utf8_is_reported_with_its_row(supplier, department):
    data = csv_file([line(department), line(department, 品名="BAD"), line(department)])
    data = data.replace(b"BAD", b"A\xff")
    error = only_error(csv_parse(data=data, supplier=supplier))
    assert (error.row, error.column, error.value) == (3, "品名", "0xFF")
    assert str(error) == (
        "3行目「品名」: 文字として読めないバイト（FF）があります。文字化けした文字や"
        "特殊な記号がないか確認し、Excelで「CSV UTF-8（コンマ区切り）」または"
        "「CSV（コンマ区切り）」として保存し直してください。"
    )


def test_undecodable_byte_in_cp932_is_reported_with_its_row(supplier, department):
    data = csv_file(
        [line(department), line(department), line(department, 備考="X")],
        encoding="cp932",
    )
    # 0x81 starts a two-byte character; a space cannot follow it.
    data = data.replace(b",X", b",\x81 ")
    error = only_error(csv_parse(data=data, supplier=supplier))
    assert (error.row, error.column, error.value) == (4, "備考", "0x81")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "ファイルが空です。"),
        (b"\xef\xbb\xbf\r\n", "ファイルが空です。"),
        (
            b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40,
            "Excel形式（.xlsx）のファイルです。"
            "Excelで「CSV（コンマ区切り）」として保存し直してください。",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
            "Excel 97-2003形式（.xls）のファイルです。",
        ),
        ("請求書番号\t品名".encode("utf-16"), "UTF-16（Unicodeテキスト）"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "CSVファイルではありません"),
    ],
)
def test_files_that_are_not_csv_are_refused(supplier, data, message):
    result = csv_parse(data=data, supplier=supplier)
    error = only_error(result)
    assert error.row is None
    assert str(error).startswith(message)
    assert (result.invoices, result.line_count, result.encoding) == ((), 0, "")


def test_quote_never_closed_is_reported_at_its_row(supplier, department):
    opened = line(department, 品名='"封筒' + "x" * csv.field_size_limit())
    data = csv_file([line(department)]) + ",".join(opened.values()).encode()
    error = only_error(csv_parse(data=data, supplier=supplier))
    assert (error.row, error.column) == (3, "")
    assert error.message.startswith("この行をCSVとして読めません。")


def test_header_without_lines_is_an_error(supplier):
    error = only_error(csv_parse(data=csv_file([]), supplier=supplier))
    assert error.row is None
    assert error.message.startswith("明細の行がありません。")


def test_blank_rows_are_skipped_without_shifting_row_numbers(supplier, department):
    header = ",".join(HEADER)
    good = ",".join(line(department).values())
    bad = ",".join(line(department, 単価="abc").values())
    text = f"{header}\r\n{good}\r\n\r\n{',' * 11}\r\n{bad}\r\n,,,,\r\n"
    result = csv_parse(data=text.encode(), supplier=supplier)
    assert texts(result) == [
        "5行目「単価」: 「abc」は数値として読めません。"
        "半角または全角の数字で入力してください（例: 10、1,000）。"
    ]
    assert result.line_count == 2


# Header ---------------------------------------------------------------------


def test_unknown_column_lists_the_allowed_ones(supplier, department):
    rows = [{**line(department), "金額": "4500"}]
    result = csv_parse(data=csv_file(rows, header=(*HEADER, "金額")), supplier=supplier)
    assert texts(result) == [
        "1行目（見出し）: 「金額」という列は使えません。使える列: "
        "請求書番号、宛先自治体コード、宛先部署コード、請求日、取引日、取引開始日、"
        "取引終了日、支払期日、件名、注文番号、品名、数量、単位、単価、税区分、備考、"
        "明細備考"
    ]
    assert result.invoices == ()


def test_missing_required_columns_are_named(supplier, department):
    header = tuple(c for c in HEADER if c not in ("単価", "取引日"))
    result = csv_parse(
        data=csv_file([line(department)], header=header), supplier=supplier
    )
    assert texts(result) == [
        "1行目（見出し）: 「取引日」の列がありません。取引が期間の場合は"
        "「取引開始日」と「取引終了日」の列を入れてください。",
        "1行目（見出し）: 「単価」の列がありません。追加してください。",
    ]


def test_period_columns_come_in_pairs(supplier, department):
    header = tuple(c if c != "取引日" else "取引開始日" for c in HEADER)
    result = csv_parse(
        data=csv_file([line(department)], header=header), supplier=supplier
    )
    assert texts(result) == [
        "1行目（見出し）: 「取引開始日」の列があるのに「取引終了日」の列が"
        "ありません。取引期間は両方の列で指定してください。"
    ]


def test_duplicate_column_is_an_error(supplier, department):
    result = csv_parse(
        data=csv_file([line(department)], header=(*HEADER, "品名")), supplier=supplier
    )
    assert texts(result) == [
        "1行目（見出し）: 「品名」の列が2つあります。1つにしてください。"
    ]


def test_columns_in_any_order_with_full_width_and_spaces(supplier, department):
    header = tuple(reversed(HEADER))
    data = csv_file([line(department)], header=header).replace(
        "品名".encode(), " 品名 ".encode()
    )
    assert csv_parse(data=data, supplier=supplier).ok


def test_optional_columns_may_be_left_out(supplier, department):
    header = tuple(c for c in HEADER if c not in ("件名", "単位", "備考"))
    (invoice,) = csv_parse(
        data=csv_file([line(department)], header=header), supplier=supplier
    ).invoices
    assert invoice.fields["subject"] == ""
    assert invoice.lines[0].unit == ""


def test_a_file_without_header_row_is_told_so(supplier, department):
    data = csv_file([line(department)], header=tuple(line(department).values()))
    error = only_error(csv_parse(data=data, supplier=supplier))
    assert error.message.startswith("1行目が見出しになっていません。")


def test_tab_separated_file_is_told_so(supplier):
    data = ("\t".join(HEADER) + "\r\n").encode("cp932")
    error = only_error(csv_parse(data=data, supplier=supplier))
    assert str(error).startswith("1行目（見出し）: タブ区切りのファイルです。")


def test_empty_trailing_columns_of_excel_are_ignored(supplier, department):
    rows = [{**line(department)}]
    assert csv_parse(
        data=csv_file(rows, header=(*HEADER, "", "")), supplier=supplier
    ).ok


def test_values_under_a_column_without_header_are_an_error(supplier, department):
    rows = [{**line(department), "": "メモ"}]
    error = only_error(
        csv_parse(data=csv_file(rows, header=(*HEADER, "")), supplier=supplier)
    )
    assert error.column == "13列目"


# Numbers, dates, categories ----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1000", Decimal(1000)),
        ("1,000", Decimal(1000)),
        ("１，０００", Decimal(1000)),
        ("１０００", Decimal(1000)),
        ("¥1,000", Decimal(1000)),
        ("￥１，０００", Decimal(1000)),
        ("1,000円", Decimal(1000)),
        (" 1000 ", Decimal(1000)),
        ("12.5", Decimal("12.5")),
        ("１２．５", Decimal("12.5")),
    ],
)
def test_numbers_as_people_type_them(supplier, department, typed, expected):
    data = csv_file([line(department, 数量=typed, 単価=typed)])
    (invoice,) = csv_parse(data=data, supplier=supplier).invoices
    assert invoice.lines[0].quantity == expected
    assert invoice.lines[0].unit_price == expected


def test_unreadable_number_names_row_column_and_value(supplier, department):
    rows = [line(department)] * 3 + [line(department, 数量="１０個")]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert texts(result) == [
        "5行目「数量」: 「１０個」は数値として読めません。"
        "半角または全角の数字で入力してください（例: 10、1,000）。"
    ]
    assert result.invoices == ()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"数量": "0"},
            "3行目「数量」: 数量は0以外にしてください。"
            "返品は数量をマイナス（例: -2）にします。",
        ),
        (
            {"数量": "-1", "単価": "-1"},
            "3行目「単価」: 数量と単価の両方をマイナスにはできません。"
            "値引きは単価を、返品は数量をマイナスにしてください。",
        ),
        (
            {"数量": "1.2345"},
            "3行目「数量」: 「1.2345」は小数点以下の桁が多すぎます"
            "（3桁までにしてください）。",
        ),
        (
            {"単価": "1" * 13},
            f"3行目「単価」: 「{'1' * 13}」は桁が多すぎます"
            "（整数部分は12桁までです）。",
        ),
        (
            {"数量": "999999999", "単価": "999999999999"},
            "3行目「単価」: 金額（数量×単価）が大きすぎます。"
            "数量と単価を確認してください。",
        ),
    ],
)
def test_numbers_out_of_range(supplier, department, values, message):
    rows = [line(department), line(department, **values)]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [message]


@pytest.mark.parametrize(
    "typed",
    [
        "2026-11-01",
        "2026/11/1",
        "2026/11/01",
        "20261101",
        "2026年11月1日",
        "２０２６／１１／１",
        "2026.11.1",
        "R8.11.1",
        "R08/11/01",
        "r8.11.1",
        "令和8年11月1日",
        "令和８年１１月１日",
        "㋿8.11.1",
    ],
)
def test_dates_as_excel_and_sales_systems_write_them(supplier, department, typed):
    (invoice,) = csv_parse(
        data=csv_file([line(department, 請求日=typed)]), supplier=supplier
    ).invoices
    assert invoice.fields["issue_date"] == date(2026, 11, 1)


def test_first_year_of_an_era(supplier, department):
    (invoice,) = csv_parse(
        data=csv_file([line(department, 取引日="令和元年5月1日", 支払期日="H31.4.30")]),
        supplier=supplier,
    ).invoices
    assert invoice.fields["transaction_date"] == date(2019, 5, 1)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "2026-02-30",
            "3行目「請求日」: 「2026-02-30」は日付として読めません。2026-11-01、"
            "2026/11/1、20261101、R8.11.1、令和8年11月1日 のいずれかの形で、"
            "実在する日付を入力してください。",
        ),
        ("来月1日", "3行目「請求日」: 「来月1日」は日付として読めません。"),
        ("R8.13.1", "3行目「請求日」: 「R8.13.1」は日付として読めません。"),
        (
            "令和1年4月1日",
            "3行目「請求日」: 「令和1年4月1日」は令和の期間（2019年5月1日から）に"
            "ない日付です。",
        ),
        (
            "H32.1.1",
            "3行目「請求日」: 「H32.1.1」は平成の期間（1989年1月8日から"
            "2019年4月30日まで）にない日付です。",
        ),
    ],
)
def test_dates_that_cannot_be_read(supplier, department, typed, message):
    rows = [line(department), line(department, 請求日=typed)]
    (text,) = texts(csv_parse(data=csv_file(rows), supplier=supplier))
    assert text.startswith(message)


@pytest.mark.parametrize(
    ("typed", "category"),
    [
        ("10%", "S"),
        ("１０％", "S"),
        ("8%", "AA"),
        ("8％（軽減）", "AA"),
        ("軽減 8%", "AA"),
        ("8%（軽減税率）", "AA"),
        ("非課税", "E"),
        ("不課税", "O"),
        ("免税", "G"),
    ],
)
def test_tax_categories(supplier, department, typed, category):
    (invoice,) = csv_parse(
        data=csv_file([line(department, 税区分=typed)]), supplier=supplier
    ).invoices
    assert invoice.lines[0].tax_category == category


def test_unknown_tax_category(supplier, department):
    rows = [line(department, 税区分="5%")]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [
        "2行目「税区分」: 「5%」という税区分はありません。"
        "10%、8%、非課税、不課税、免税 のいずれかを入力してください。"
    ]


def test_missing_required_values(supplier, department):
    rows = [
        line(department, 請求書番号="", 品名=""),
        line(
            department,
            宛先部署コード="",
            請求日=" ",
            品名="",
            数量="",
            単価="",
            税区分="",
        ),
    ]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [
        "2行目「請求書番号」: 請求書番号を入力してください。",
        "2行目「品名」: 品名を入力してください。",
        "3行目「宛先部署コード」: 宛先部署コードを入力してください。",
        "3行目「請求日」: 請求日を入力してください。",
        "3行目「品名」: 品名を入力してください。",
        "3行目「数量」: 数量を入力してください。",
        "3行目「単価」: 単価を入力してください。",
        "3行目「税区分」: 税区分を入力してください"
        "（10%、8%、非課税、不課税、免税 のいずれか）。",
    ]


def test_text_is_kept_as_typed_but_limited(supplier, department):
    rows = [
        line(department, 品名="Ａ４　コピー用紙（ｶﾀｶﾅ）"),
        line(department, 品名="あ" * 201),
        line(department, 単位="箱\ue000"),
    ]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert texts(result) == [
        "3行目「品名」: 品名は200文字以内にしてください（いまは201文字）。",
        "4行目「単位」: 表示できない文字（U+E000、外字や制御文字）が含まれています。"
        "ふつうの文字に置き換えてください。",
    ]
    rows = [line(department, 品名="Ａ４　コピー用紙（ｶﾀｶﾅ）")]
    (invoice,) = csv_parse(data=csv_file(rows), supplier=supplier).invoices
    assert invoice.lines[0].description == "Ａ４　コピー用紙（ｶﾀｶﾅ）"


# Transaction date or period -------------------------------------------------

PERIOD = (*HEADER[:5], "取引開始日", "取引終了日", "支払期日", *HEADER[5:])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"取引日": "", "取引開始日": "2026-10-01", "取引終了日": "2026-10-31"},
            None,
        ),
        (
            {"取引日": "2026-10-31", "取引開始日": "2026-10-01"},
            "2行目「取引開始日」: 取引日と取引期間（取引開始日・取引終了日）の両方に"
            "値があります。1日の取引なら取引日だけ、期間なら取引開始日と取引終了日"
            "だけを入力してください。",
        ),
        (
            {"取引日": "", "取引開始日": "2026-10-01"},
            "2行目「取引終了日」: 取引終了日を入力してください（取引期間は取引開始日と"
            "取引終了日の両方で指定します）。",
        ),
        (
            {"取引日": ""},
            "2行目「取引日」: 取引日を入力してください。取引が期間の場合は取引開始日と"
            "取引終了日を入力してください。",
        ),
        (
            {"取引日": "", "取引開始日": "2026-10-31", "取引終了日": "2026/10/1"},
            "2行目「取引終了日」: 取引終了日（2026-10-01）が取引開始日（2026-10-31）"
            "より前です。取引終了日は取引開始日と同じか、それより後の日付にして"
            "ください。",
        ),
    ],
)
def test_transaction_date_or_period(supplier, department, values, message):
    rows = [line(department, 支払期日="2026-12-31", **values)]
    result = csv_parse(data=csv_file(rows, header=PERIOD), supplier=supplier)
    if message is None:
        (invoice,) = result.invoices
        assert invoice.fields["transaction_date"] == date(2026, 10, 1)
        assert invoice.fields["transaction_end_date"] == date(2026, 10, 31)
        assert invoice.fields["due_date"] == date(2026, 12, 31)
    else:
        assert texts(result) == [message]


# Addressee ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "011002",
            "2行目「宛先自治体コード」: 全国地方公共団体コード 011002 の自治体は、"
            "このポータルに登録されていません。宛先の自治体のコードを確認してください。",
        ),
        (
            "462038",
            "2行目「宛先自治体コード」: 全国地方公共団体コード 462038 は検査数字"
            "（6桁目）が一致しません。総務省の全国地方公共団体コード一覧で確認して"
            "ください。",
        ),
        (
            "11002",
            "2行目「宛先自治体コード」: 「11002」は5桁です。全国地方公共団体コードは"
            "検査数字を含む6桁で入力してください（例: 462039）。Excelで先頭の0が"
            "消えた場合は、セルの書式を文字列にして保存し直してください。",
        ),
        (
            "鹿屋市",
            "2行目「宛先自治体コード」: 全国地方公共団体コードは6桁の半角数字で"
            "入力してください（例: 462039）。",
        ),
    ],
)
def test_municipality_code_problems(supplier, department, code, message):
    rows = [line(department, 宛先自治体コード=code)]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [message]


def test_full_width_municipality_code_is_read(supplier, department):
    rows = [line(department, 宛先自治体コード="４６２０３９")]
    assert csv_parse(data=csv_file(rows), supplier=supplier).ok


def test_unknown_department(supplier, department):
    rows = [line(department, 宛先部署コード="999")]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [
        "2行目「宛先部署コード」: 鹿屋市に部署コード「999」の部署はありません。"
        "自治体から知らされた部署コードを確認してください。"
    ]


def test_department_code_that_lost_its_leading_zero_is_read_with_a_notice(
    supplier, tenant
):
    # More in tests/invoices/test_csv_line_notes.py.
    zero = DepartmentFactory(municipality=tenant.municipality, code="010")
    ConnectionFactory(supplier=supplier, department=zero)
    result = csv_parse(
        data=csv_file([line(zero, 宛先部署コード="10")]), supplier=supplier
    )
    assert result.ok
    assert [str(notice) for notice in result.notices] == [
        "2行目「宛先部署コード」: 部署コード 10 を 010 として読み取りました"
        "（Excelで先頭の0が消えたものとみなしました）。"
    ]


def test_department_without_connection(supplier, tenant):
    tenant.other_department.name = "子育て支援課"
    tenant.other_department.save()
    rows = [line(tenant.other_department)]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [
        "2行目「宛先部署コード」: 鹿屋市 子育て支援課 とはまだ取引の登録がありません。"
        "自治体からの招待を承諾してから取り込んでください。"
    ]


def test_department_of_another_supplier_only(
    supplier, other_supplier_user, other_tenant
):
    rows = [line(other_tenant.department)]
    (text,) = texts(csv_parse(data=csv_file(rows), supplier=supplier))
    assert "とはまだ取引の登録がありません" in text


@pytest.mark.parametrize("inactive", ["connection", "department"])
def test_inactive_connection_or_department(supplier, department, connection, inactive):
    if inactive == "connection":
        connection.is_active = False
        connection.save()
    else:
        department.is_active = False
        department.save()
    rows = [line(department)]
    assert texts(csv_parse(data=csv_file(rows), supplier=supplier)) == [
        f"2行目「宛先部署コード」: 鹿屋市 {department.name} には現在請求書を送れません"
        "（取引の登録が無効です）。自治体に確認してください。"
    ]


def test_addressee_problem_is_reported_once_per_invoice(supplier, department):
    rows = [line(department, 宛先部署コード="999")] * 3
    assert len(csv_parse(data=csv_file(rows), supplier=supplier).errors) == 1


# Invoices: grouping and duplicates ------------------------------------------


def test_invoice_level_values_must_agree_between_rows(supplier, department):
    rows = [
        line(department),
        line(department, 請求日="2026/11/1", 品名="封筒"),  # the same day
        line(department, 件名="文具"),
    ]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert texts(result) == [
        "4行目「件名」: 同じ請求書（請求書番号 A-1）の2行目の「事務用品」と違います。"
        "請求書番号が同じ行には、件名も同じ値を入れてください。"
    ]
    assert result.invoices == ()


def test_full_width_number_is_the_same_invoice(supplier, department):
    rows = [line(department, 請求書番号="Ａ－１"), line(department, 請求書番号="A-1")]
    (invoice,) = csv_parse(data=csv_file(rows), supplier=supplier).invoices
    assert invoice.number == "A-1"
    assert invoice.rows == (2, 3)


def test_number_used_again_further_down_is_a_duplicate(supplier, department):
    rows = [
        line(department),
        line(department, 請求書番号="A-2"),
        line(department),
    ]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert texts(result) == [
        "4行目「請求書番号」: 請求書番号 A-1 は2行目からの請求書と同じ番号です。"
        "同じ請求書の明細は続けて並べてください。別の請求書なら別の番号にしてください。"
    ]
    assert [invoice.number for invoice in result.invoices] == ["A-2"]


def test_number_already_in_the_portal(supplier, supplier_user, department, connection):
    with scopes_disabled():
        existing = make_invoice(
            connection=connection,
            actor=supplier_user,
            number="A-1",
            issue=False,
        )
    day = timezone.localdate(existing.created_at)
    result = csv_parse(data=csv_file([line(department)]), supplier=supplier)
    assert texts(result) == [
        f"2行目「請求書番号」: 請求書番号 A-1 はすでに登録されています"
        f"（{day.year}年{day.month}月{day.day}日）。"
        "同じファイルを二度取り込んでいないか確認してください。"
    ]


def test_same_number_of_another_supplier_is_fine(
    supplier, department, other_supplier_user
):
    other = other_supplier_user.supplier_membership.supplier
    with scopes_disabled():
        make_invoice(
            connection=Connection.objects.get(supplier=other),
            actor=other_supplier_user,
            number="A-1",
            issue=False,
        )
    assert csv_parse(data=csv_file([line(department)]), supplier=supplier).ok


def test_cells_right_of_the_header_are_an_error(supplier, department):
    header = ",".join(HEADER)
    row = ",".join(line(department, 品名="封筒, 長形3号").values())
    data = f"{header}\r\n{row}\r\n".encode()
    assert texts(csv_parse(data=data, supplier=supplier)) == [
        "2行目: セルが13個あり、見出し（12列）より多くなっています。"
        '値に「,」が含まれる場合は、セルを「"」で囲んでください。'
    ]


def test_every_problem_is_listed_in_row_order(supplier, department):
    rows = [
        line(department, 数量="x"),
        line(department, 請求書番号="A-2", 宛先部署コード="999"),
        line(department, 請求書番号="A-3", 税区分="?", 請求日="?"),
    ]
    result = csv_parse(data=csv_file(rows), supplier=supplier)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "数量"),
        (3, "宛先部署コード"),
        (4, "請求日"),
        (4, "税区分"),
    ]


# Import ---------------------------------------------------------------------


def test_import_creates_drafts_through_the_services(
    supplier, supplier_user, department
):
    data = csv_file(
        [
            line(department),
            line(department, 品名="お茶", 数量="3", 単価="120", 税区分="8%"),
            line(department, 請求書番号="A-2", 備考="納品書は別送"),
        ]
    )
    preview = csv_parse(data=data, supplier=supplier)
    created = csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    assert [invoice.number for invoice in created] == ["A-1", "A-2"]
    first, second = supplier_invoices(supplier)
    assert first.status == InvoiceStatus.DRAFT
    assert first.created_by == supplier_user
    assert first.department == department
    assert first.price_basis == "exclusive"
    assert second.notes == "納品書は別送"
    with scopes_disabled():
        assert list(first.lines.values_list("position", "description", "amount")) == [
            (1, "コピー用紙 A4", 4500),
            (2, "お茶", 360),
        ]
        assert list(
            first.tax_summaries.values_list(
                "tax_category", "taxable_amount", "tax_amount"
            )
        ) == [("AA", 360, 28), ("S", 4500, 450)]
    parsed = preview.invoices[0]
    assert (first.subtotal, first.tax_total, first.total) == (
        parsed.subtotal,
        parsed.tax_total,
        parsed.total,
    )


def test_import_and_issue_sends_as_screen_entry_does(
    supplier, supplier_user, department, tenant, django_capture_on_commit_callbacks
):
    data = csv_file([line(department), line(department, 請求書番号="A-2")])
    with django_capture_on_commit_callbacks(execute=True):
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=True)
    invoices = supplier_invoices(supplier)
    assert {i.status for i in invoices} == {InvoiceStatus.ISSUED}
    assert all(i.receipt_number and i.content_hash for i in invoices)
    with scopes_disabled():
        assert [list(i.events.values_list("kind", "actor")) for i in invoices] == [
            [(EventKind.ISSUED, supplier_user.pk)]
        ] * 2
        assert InvoicePdf.objects.filter(invoice__in=invoices).count() == 2
    assert [m.to for m in mail.outbox] == [[tenant.department_staff.email]] * 2
    assert all("請求書が届きました" in m.subject for m in mail.outbox)


def test_import_with_errors_saves_nothing(supplier, supplier_user, department):
    data = csv_file([line(department), line(department, 請求書番号="A-2", 数量="x")])
    with pytest.raises(CsvImportError) as raised:
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    assert [(e.row, e.column) for e in raised.value.errors] == [(3, "数量")]
    assert supplier_invoices(supplier) == []


def test_a_failure_half_way_leaves_nothing(
    supplier, supplier_user, department, monkeypatch
):
    """The invoices, lines and events are written, then something fails:
    nothing remains."""
    written = []
    invoices_issue_built = writing.invoices_issue_built

    def issue_then_fail(**kwargs):
        written.extend(invoices_issue_built(**kwargs))
        raise RuntimeError("the database went away")

    monkeypatch.setattr(writing, "invoices_issue_built", issue_then_fail)
    data = csv_file([line(department), line(department, 請求書番号="A-2")])
    with pytest.raises(RuntimeError):
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=True)
    assert len(written) == 2
    assert supplier_invoices(supplier) == []
    with scopes_disabled():
        assert not InvoiceEvent.objects.filter(invoice_id__in=[i.pk for i in written])


def test_the_same_file_twice_creates_nothing_the_second_time(
    supplier, supplier_user, department
):
    data = csv_file([line(department), line(department, 請求書番号="A-2")])
    csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    with pytest.raises(CsvImportError) as raised:
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    assert [(e.row, e.column, e.value) for e in raised.value.errors] == [
        (2, "請求書番号", "A-1"),
        (3, "請求書番号", "A-2"),
    ]
    assert "同じファイルを二度取り込んでいないか" in raised.value.errors[0].message
    assert len(supplier_invoices(supplier)) == 2


def test_number_taken_after_the_preview_is_reported(
    supplier, supplier_user, department, connection, monkeypatch
):
    """Between parsing and saving another upload took the number: the
    service's check stops the import and says which invoice."""
    with scopes_disabled():
        make_invoice(
            connection=connection,
            actor=supplier_user,
            number="A-2",
            issue=False,
        )
    monkeypatch.setattr(assembly, "_numbers_taken", lambda supplier, numbers: {})
    data = csv_file([line(department), line(department, 請求書番号="A-2")])
    with pytest.raises(CsvImportError) as raised:
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    (error,) = raised.value.errors
    assert (error.row, error.column) == (3, "請求書番号")
    assert "この請求書番号はすでに使われています" in error.message
    assert len(supplier_invoices(supplier)) == 1


def test_issue_needs_a_registration_number_and_an_amount(
    supplier, supplier_user, department
):
    supplier.registration_number = ""
    supplier.save()
    data = csv_file([line(department), line(department, 請求書番号="A-2", 単価="0")])
    with pytest.raises(CsvImportError) as raised:
        csv_import(data=data, supplier=supplier, actor=supplier_user, issue=True)
    assert [str(e) for e in raised.value.errors] == [
        "適格請求書の発行には登録番号が必要です。事業者情報で登録番号を設定するか、"
        "下書きとして取り込んでください。",
        "3行目「請求書番号」: 請求書番号 A-2 は請求金額が0円のため発行できません。"
        "明細の数量と単価を確認するか、下書きとして取り込んでください。",
    ]
    assert supplier_invoices(supplier) == []
    # As drafts they are fine.
    csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    assert len(supplier_invoices(supplier)) == 2


def test_import_reports_progress_of_the_lines_written(
    supplier, supplier_user, department
):
    rows = [line(department, 請求書番号=f"A-{n // 3}") for n in range(300)]
    calls = []
    csv_import(
        data=csv_file(rows),
        supplier=supplier,
        actor=supplier_user,
        issue=False,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(201, 300), (300, 300)]


def test_issued_by_upload_as_by_the_screen(supplier, supplier_user, department):
    """The bulk issue freezes what ``invoice_issue`` freezes: the snapshot
    computed from the rows in memory is the one computed from the saved
    rows, the receipt numbers follow each other, the chain verifies."""
    with scopes_disabled():
        account = BankAccount.objects.create(
            supplier=supplier,
            bank_code="0001",
            bank_name="みずほ銀行",
            branch_code="001",
            branch_name="東京営業部",
            account_number="1234567",
            holder_kana="ｶ)ｵｵｽﾐﾌﾞﾝｸﾞ",
            is_default=True,
        )
    rows = [
        line(department, 数量="2.5", 単価="￥450"),
        line(department, 品名="お茶", 数量="3", 単価="120", 税区分="8%"),
        line(department, 請求書番号="A-2", 品名="値引き", 数量="1", 単価="100"),
    ]
    csv_import(data=csv_file(rows), supplier=supplier, actor=supplier_user, issue=True)
    first, second = supplier_invoices(supplier)
    with scopes_disabled():
        for invoice in (first, second):
            saved = Invoice.objects.get(pk=invoice.pk)
            assert saved.snapshot == invoice_snapshot(saved, bank_account=account)
            assert saved.content_hash == content_hash(saved.snapshot)
            assert invoice_content_problem(saved) is None
        assert first.snapshot["lines"][0]["quantity"] == "2.500"
        assert first.snapshot["bank_account"]["account_number"] == "1234567"
        assert chain_verify() is None
    year, number = first.receipt_number.split("-")
    assert second.receipt_number == f"{year}-{int(number) + 1:06d}"
    assert first.payment_deadline == timezone.localdate(first.received_at) + (
        timedelta(days=department.municipality.payment_days)
    )


@pytest.mark.parametrize("issue", [False, True])
def test_import_writes_with_a_fixed_number_of_queries(
    supplier, supplier_user, tenant, issue
):
    """Validation, the numbers check, one insert per table, the receipt
    counter, the chain head: the same for 3 invoices as for 30 (to a
    department with no staff to mail; each mail is stored one by one),
    once a first upload has made the year's receipt counter."""
    department = DepartmentFactory(municipality=tenant.municipality)
    ConnectionFactory(supplier=supplier, department=department)
    counts = []
    for size, prefix in ((1, "W"), (3, "S"), (30, "L")):
        data = csv_file(
            [
                line(department, 請求書番号=f"{prefix}-{n // 2}", 品名=f"品目{n}")
                for n in range(size * 2)
            ]
        )
        with CaptureQueriesContext(db_connection) as queries:
            created = csv_import(
                data=data, supplier=supplier, actor=supplier_user, issue=issue
            )
        assert len(created) == size
        counts.append(len(queries))
    assert counts[1] == counts[2]
    assert counts[2] <= (27 if issue else 15)


def test_two_thousand_invoices_are_validated_and_imported(
    supplier, supplier_user, tenant
):
    departments = [tenant.department]
    for _ in range(3):
        department = DepartmentFactory(municipality=tenant.municipality)
        ConnectionFactory(supplier=supplier, department=department)
        departments.append(department)
    rows = [
        line(
            departments[n % 4],
            請求書番号=f"2026-{n:05d}",
            品名=f"髙品質コピー用紙① {n}",
            数量=f"{n % 7 + 1}",
            単価="１，９８０",
            税区分=("10%", "8%")[n % 2],
        )
        for n in range(2000)
    ]
    data = csv_file(rows, encoding="cp932")
    started = time.perf_counter()
    result = csv_parse(data=data, supplier=supplier)
    parsed = time.perf_counter() - started
    assert result.ok
    assert (len(result.invoices), result.line_count) == (2000, 2000)
    assert parsed < 5
    created = csv_import(data=data, supplier=supplier, actor=supplier_user, issue=False)
    assert len(created) == 2000
    with scopes_disabled():
        assert Invoice.objects.filter(supplier=supplier).count() == 2000
        total = sum(
            Invoice.objects.filter(supplier=supplier).values_list("total", flat=True)
        )
    assert total == sum(invoice.total for invoice in result.invoices)
