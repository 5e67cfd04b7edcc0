"""CSV bulk upload through the supplier's pages: the template and help, the
upload checked at once (short files) or by a task with progress (long
files), the preview, the confirmation imported once and all or nothing,
and tenant isolation."""

import csv
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from config import celery_app
from invoices import csv_import, imports, tasks
from invoices.forms import imports as forms_import
from invoices.models import ImportStatus, Invoice, InvoiceImport, InvoiceStatus
from invoices.views.imports import COLUMN_HELP
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/supplier/invoices/import/"


def _detail_url(upload) -> str:
    return f"{UPLOAD_URL}{upload.pk}/"


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8-sig") -> bytes:
    """A CSV in the template's columns; each row a dict by column name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_import.COLUMNS)
    writer.writerows([row.get(c, "") for c in csv_import.COLUMNS] for row in rows)
    return out.getvalue().encode(encoding)


def line(connection, number: str, **values) -> dict:
    return {
        "請求書番号": number,
        "宛先自治体コード": connection.municipality.local_government_code,
        "宛先部署コード": connection.department.code,
        "請求日": "2026-11-30",
        "取引日": "2026-11-15",
        "件名": "11月分 事務用品",
        "品名": "コピー用紙 A4",
        "数量": "10",
        "単位": "箱",
        "単価": "450",
        "税区分": "10%",
        **values,
    }


def many_lines(connection, invoices: int, lines: int) -> bytes:
    return csv_bytes(
        [
            line(connection, f"L-{i:05d}", 品名=f"品目{j}", 数量="2", 単価="100")
            for i in range(invoices)
            for j in range(lines)
        ]
    )


def upload(client, data: bytes, *, mode: str = "draft", name: str = "invoices.csv"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(UPLOAD_URL, {"file": file, "mode": mode})


def _imports(supplier) -> list[InvoiceImport]:
    return list(InvoiceImport.objects.filter(supplier=supplier).order_by("pk"))


def _invoices(supplier) -> list[Invoice]:
    with scopes_disabled():
        return list(Invoice.objects.filter(supplier=supplier).order_by("pk"))


def _text(response) -> str:
    """The page's text without tags, spaces collapsed."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def supplier_client(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def worker_semantics():
    """Eager tasks that record failures instead of raising, as under a
    worker."""
    conf = celery_app.conf
    saved = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = saved


# Template and help


def test_the_template_is_utf8_with_a_bom_crlf_and_two_example_invoices(
    supplier_client, connection
):
    response = supplier_client.get(f"{UPLOAD_URL}template/")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\n" not in text.replace("\r\n", "")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(header) == csv_import.COLUMNS
    by_name = [dict(zip(header, row, strict=True)) for row in rows]
    assert len({row["請求書番号"] for row in by_name}) == 2
    assert {row["宛先部署コード"] for row in by_name} == {connection.department.code}
    period = [row for row in by_name if row["取引開始日"]]
    assert period
    assert all(row["取引終了日"] and not row["取引日"] for row in period)
    assert "8%" in {row["税区分"] for row in period}


def test_the_template_uploads_as_it_is(supplier_client, supplier, connection):
    template = supplier_client.get(f"{UPLOAD_URL}template/").content
    response = upload(supplier_client, template)
    (record,) = _imports(supplier)
    assert response.url == _detail_url(record)
    assert record.status == ImportStatus.READY, record.preview["errors"]
    assert record.preview["invoice_count"] == 2


def test_the_help_explains_every_column_and_the_supplier_s_codes(
    supplier_client, connection
):
    assert tuple(name for name, _, _ in COLUMN_HELP) == csv_import.COLUMNS
    text = _text(supplier_client.get(f"{UPLOAD_URL}help/"))
    for name, _, _ in COLUMN_HELP:
        assert name in text
    for accepted in ("20261101", "R8.11.1", "令和8年11月1日", "1,000", "CP932"):
        assert accepted in text
    assert f"{connection.department.name} {connection.department.code}" in text


def test_the_invoice_list_links_to_the_upload(supplier_client):
    page = supplier_client.get("/supplier/invoices/").content.decode()
    assert 'href="/supplier/invoices/import/">CSVで一括アップロード' in page


# Upload and preview


def test_a_small_cp932_file_is_checked_at_once_and_previewed(
    supplier_client, supplier, connection
):
    data = csv_bytes(
        [
            line(connection, "Ｃ－０００１", 数量="１０", 単価="１，２００"),
            line(
                connection,
                "Ｃ－０００１",
                品名="お茶",
                数量="3",
                単価="120",
                税区分="8%",
            ),
        ],
        encoding="cp932",
    )
    response = upload(supplier_client, data, name="請求書.csv")
    (record,) = _imports(supplier)
    assert response.url == _detail_url(record)
    assert (record.status, record.encoding, record.filename) == (
        ImportStatus.READY,
        "cp932",
        "請求書.csv",
    )
    assert (record.size, record.created_by.pk, record.issue) == (
        len(data),
        supplier.memberships.get().user.pk,
        False,
    )
    with record.file.open("rb") as f:
        assert f.read() == data
    assert _invoices(supplier) == []  # nothing until confirmed

    text = _text(supplier_client.get(response.url))
    assert "Shift_JIS（CP932）" in text
    assert f"鹿屋市 {connection.department.name} C-0001" in text
    # 12,000 + 1,200 tax; 360 + 28 tax (8% of 360 = 28.8, rounded down).
    assert "10%（標準税率）: 対象 12,000円・消費税 1,200円" in text
    assert "8%（軽減税率）: 対象 360円・消費税 28円" in text
    assert "13,588円" in text
    assert "1件の請求書を下書きとして取り込む" in text


def test_a_file_with_errors_lists_row_column_and_value_and_saves_nothing(
    supplier_client, supplier, connection
):
    data = csv_bytes(
        [
            line(connection, "E-1"),
            line(connection, "E-2", 請求日="2026-02-30"),
            line(connection, "E-3", 税区分="5%"),
        ]
    )
    response = upload(supplier_client, data)
    (record,) = _imports(supplier)
    assert record.status == ImportStatus.INVALID
    text = _text(supplier_client.get(response.url))
    assert "CSVに2件の誤りがあります。何も取り込んでいません。" in text
    assert "3 請求日 2026-02-30 「2026-02-30」は日付として読めません" in text
    assert "4 税区分 5% 「5%」という税区分はありません" in text
    assert "取り込む</button>" not in response.content.decode()
    assert _invoices(supplier) == []


def test_a_file_that_is_not_csv_is_reported(supplier_client, supplier):
    upload(supplier_client, b"PK\x03\x04 an xlsx file", name="invoices.xlsx")
    (record,) = _imports(supplier)
    assert record.status == ImportStatus.INVALID
    text = _text(supplier_client.get(_detail_url(record)))
    assert "ファイル全体" in text
    assert "Excel形式（.xlsx）のファイルです" in text


def test_a_file_too_large_is_refused_before_anything_is_stored(
    supplier_client, supplier, connection, monkeypatch
):
    monkeypatch.setattr(forms_import, "IMPORT_MAX_BYTES", 100)
    response = upload(supplier_client, csv_bytes([line(connection, "BIG-1")]))
    assert response.status_code == 200
    assert "ファイルが大きすぎます" in _text(response)
    assert _imports(supplier) == []


def test_an_upload_to_be_issued_is_invalid_without_a_registration_number(
    supplier_client, supplier, connection
):
    supplier.registration_number = ""
    supplier.save()
    upload(supplier_client, csv_bytes([line(connection, "R-1")]), mode="issue")
    (record,) = _imports(supplier)
    assert record.status == ImportStatus.INVALID
    assert "登録番号が必要です" in _text(supplier_client.get(_detail_url(record)))


# Confirm


def test_confirming_imports_the_drafts_once(
    supplier_client, supplier, connection, django_capture_on_commit_callbacks
):
    upload(
        supplier_client, csv_bytes([line(connection, "D-1"), line(connection, "D-2")])
    )
    (record,) = _imports(supplier)
    confirm = f"{_detail_url(record)}confirm/"
    with django_capture_on_commit_callbacks(execute=True):
        response = supplier_client.post(confirm)
    assert response.url == _detail_url(record)
    record.refresh_from_db()
    invoices = _invoices(supplier)
    assert [i.number for i in invoices] == ["D-1", "D-2"]
    assert {i.status for i in invoices} == {InvoiceStatus.DRAFT}
    assert record.status == ImportStatus.DONE
    assert record.result == {"invoice_ids": [i.pk for i in invoices], "count": 2}
    assert record.finished_at is not None

    page = supplier_client.get(response.url).content.decode()
    assert "請求書 2件を下書きとして取り込みました" in page
    for invoice in invoices:
        assert f'href="/supplier/invoices/{invoice.pk}/"' in page
    assert 'href="/supplier/invoices/?status=draft"' in page

    # A second click (or a resent form) imports nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = supplier_client.post(confirm, follow=True)
    assert "すでに取り込みを始めています" in _text(again)
    assert len(_invoices(supplier)) == 2


def test_confirming_an_upload_to_be_issued_issues_every_invoice(
    supplier_client, supplier, connection, django_capture_on_commit_callbacks
):
    upload(supplier_client, csv_bytes([line(connection, "I-1")]), mode="issue")
    (record,) = _imports(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        supplier_client.post(f"{_detail_url(record)}confirm/")
    (invoice,) = _invoices(supplier)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.receipt_number


def test_only_a_ready_upload_can_be_confirmed(supplier_client, supplier, connection):
    upload(supplier_client, csv_bytes([line(connection, "X-1", 数量="0")]))
    (record,) = _imports(supplier)
    assert record.status == ImportStatus.INVALID
    supplier_client.post(f"{_detail_url(record)}confirm/")
    record.refresh_from_db()
    assert record.status == ImportStatus.INVALID
    assert _invoices(supplier) == []


def test_a_file_outdated_since_its_check_fails_and_creates_nothing(
    supplier_client,
    supplier,
    supplier_user,
    connection,
    django_capture_on_commit_callbacks,
):
    upload(
        supplier_client, csv_bytes([line(connection, "T-1"), line(connection, "T-2")])
    )
    (record,) = _imports(supplier)
    with scopes_disabled():  # the number is taken between check and import
        make_invoice(
            connection=connection, actor=supplier_user, number="T-2", issue=False
        )
    with django_capture_on_commit_callbacks(execute=True):
        supplier_client.post(f"{_detail_url(record)}confirm/")
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED
    assert [i.number for i in _invoices(supplier)] == ["T-2"]
    text = _text(supplier_client.get(_detail_url(record)))
    assert "取り込めませんでした。何も取り込んでいません。" in text
    assert "請求書番号 T-2 はすでに登録されています" in text


def test_the_same_content_imported_before_is_refused_naming_when(
    supplier_client, supplier, connection, django_capture_on_commit_callbacks
):
    data = csv_bytes([line(connection, "S-1")])
    upload(supplier_client, data)
    (record,) = _imports(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        supplier_client.post(f"{_detail_url(record)}confirm/")
    record.refresh_from_db()
    response = upload(supplier_client, data, name="again.csv")
    assert response.status_code == 200
    when = record.finished_at.astimezone()
    assert (
        f"同じ内容のファイル（invoices.csv）は{when:%Y年%m月%d日 %H:%M}に取り込み済み"
        in _text(response)
    )
    assert len(_imports(supplier)) == 1


def test_the_upload_page_lists_recent_uploads_with_their_state(
    supplier_client, supplier, connection
):
    upload(supplier_client, csv_bytes([line(connection, "A-1")]), name="ok.csv")
    upload(
        supplier_client, csv_bytes([line(connection, "A-2", 数量="x")]), name="ng.csv"
    )
    text = _text(supplier_client.get(UPLOAD_URL))
    assert "ok.csv 下書き 確認済（取り込み待ち）" in text
    assert "ng.csv 下書き 誤りあり" in text


# Long files: checked and imported by tasks, with progress


def test_a_long_file_is_checked_by_a_task_with_throttled_progress(
    supplier_client, supplier, connection, django_capture_on_commit_callbacks
):
    """2,000 invoices of 5 lines: the check runs after commit, reports its
    progress every 200 lines with a one-row UPDATE, and ends at the total."""
    data = many_lines(connection, invoices=2000, lines=5)
    with (
        CaptureQueriesContext(db_connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        upload(supplier_client, data)
    assert len(callbacks) == 1
    (record,) = _imports(supplier)
    assert record.status == ImportStatus.READY
    assert record.preview["invoice_count"] == 2000
    assert record.progress_done == record.progress_total == 10000
    updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "invoices_invoiceimport" SET "progress_done"')
    ]
    assert len(updates) == 10000 // 200


def test_a_file_under_check_shows_its_progress_and_polls_its_status(
    supplier_client, supplier, supplier_user
):
    record = InvoiceImport.objects.create(
        supplier=supplier,
        created_by=supplier_user,
        file="imports/x.csv",
        filename="big.csv",
        sha256="0" * 64,
        size=1,
        progress_done=4000,
        progress_total=12000,
    )
    page = supplier_client.get(_detail_url(record)).content.decode()
    assert '<progress max="12000" value="4000"' in page
    assert "12,000行中 4,000行" in page
    status_url = f"{_detail_url(record)}status/"
    assert f'data-status-url="{status_url}"' in page
    assert supplier_client.get(status_url).json() == {
        "status": "validating",
        "label": "確認中",
        "in_progress": True,
        "done": 4000,
        "total": 12000,
    }


def test_an_import_under_way_reads_its_progress_from_the_cache(
    supplier_client, supplier, supplier_user
):
    record = InvoiceImport.objects.create(
        supplier=supplier,
        created_by=supplier_user,
        file="imports/x.csv",
        filename="big.csv",
        sha256="0" * 64,
        size=1,
        status=ImportStatus.IMPORTING,
        progress_total=10000,
    )
    imports._progress_cacher(record.pk)(2400, 10000)
    status = supplier_client.get(f"{_detail_url(record)}status/").json()
    assert (status["done"], status["total"]) == (2400, 10000)
    cache.clear()


def test_a_long_file_is_imported_by_a_task_up_to_its_total(
    supplier_client, supplier, connection, django_capture_on_commit_callbacks
):
    """Importing takes about 20 ms an invoice, so 120 invoices stand in for
    the 2,000 of the check above."""
    with django_capture_on_commit_callbacks(execute=True):
        upload(supplier_client, many_lines(connection, invoices=120, lines=5))
    (record,) = _imports(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        supplier_client.post(f"{_detail_url(record)}confirm/")
    record.refresh_from_db()
    assert record.status == ImportStatus.DONE
    assert record.progress_done == record.progress_total == 600
    assert record.result["count"] == len(_invoices(supplier)) == 120


def test_running_the_tasks_again_changes_nothing(
    supplier_client, supplier, connection, django_capture_on_commit_callbacks
):
    upload(supplier_client, csv_bytes([line(connection, "N-1")]))
    (record,) = _imports(supplier)
    with django_capture_on_commit_callbacks(execute=True):
        supplier_client.post(f"{_detail_url(record)}confirm/")
    record.refresh_from_db()
    tasks.invoice_import_validate_task.delay(import_id=record.pk)
    tasks.invoice_import_run_task.delay(import_id=record.pk)
    tasks.invoice_import_run_task.delay(import_id=record.pk)
    after = InvoiceImport.objects.get(pk=record.pk)
    assert (after.status, after.result, after.finished_at) == (
        ImportStatus.DONE,
        record.result,
        record.finished_at,
    )
    assert len(_invoices(supplier)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    db_connection.vendor != "postgresql",
    reason="row locks need PostgreSQL (set DATABASE_URL)",
)
def test_two_simultaneous_confirmations_import_once(
    supplier, supplier_user, connection
):
    record = imports.invoice_import_create(
        supplier=supplier,
        actor=supplier_user,
        name="twice.csv",
        data=csv_bytes([line(connection, "W-1"), line(connection, "W-2")]),
        issue=False,
    )
    barrier = threading.Barrier(2)

    def click():
        try:
            barrier.wait(timeout=10)
            imports.invoice_import_confirm(upload=record)
        finally:
            db_connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(click) for _ in range(2)]
    errors = [future.exception(timeout=60) for future in futures]
    assert sorted(type(error).__name__ for error in errors) == [
        "ImportAlreadyStartedError",
        "NoneType",
    ]
    record.refresh_from_db()
    assert record.status == ImportStatus.DONE
    assert [i.number for i in _invoices(supplier)] == ["W-1", "W-2"]


def test_a_task_that_crashes_marks_the_upload_failed(
    supplier, supplier_user, connection, monkeypatch, worker_semantics
):
    data = csv_bytes([line(connection, "K-1")])
    record = imports.invoice_import_create(
        supplier=supplier, actor=supplier_user, name="k.csv", data=data, issue=False
    )
    imports.invoice_import_confirm(upload=record)

    def crash(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "csv_import", crash)
    result = tasks.invoice_import_run_task.apply(kwargs={"import_id": record.pk})
    assert result.failed()
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED
    assert record.result["errors"][0]["message"] == imports.IMPORT_CRASHED


def test_a_crash_while_checking_a_short_file_is_shown_not_left_running(
    supplier_client, supplier, connection, monkeypatch, worker_semantics
):
    def crash(**kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(imports, "csv_parse", crash)
    response = upload(supplier_client, csv_bytes([line(connection, "Z-1")]))
    (record,) = _imports(supplier)
    assert response.url == _detail_url(record)
    assert record.status == ImportStatus.FAILED
    assert imports.IMPORT_CRASHED in _text(supplier_client.get(response.url))


# Tenancy


def test_another_suppliers_user_gets_404_for_every_upload_page(
    client, supplier, supplier_user, other_supplier_user, connection
):
    client.force_login(supplier_user)
    upload(client, csv_bytes([line(connection, "P-1")]))
    (record,) = _imports(supplier)
    client.force_login(other_supplier_user)
    for url in (_detail_url(record), f"{_detail_url(record)}status/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{_detail_url(record)}confirm/").status_code == 404
    assert "invoices.csv" not in client.get(UPLOAD_URL).content.decode()
    record.refresh_from_db()
    assert record.status == ImportStatus.READY


def test_city_staff_cannot_reach_the_upload(client, tenant):
    client.force_login(tenant.department_staff)
    assert client.get(UPLOAD_URL).status_code == 404


def test_an_addressee_of_another_supplier_is_an_error(
    supplier_client, supplier, other_tenant
):
    """A department the supplier has no connection with, even one that
    exists in another municipality, is refused by the check."""
    data = csv_bytes(
        [
            {
                "請求書番号": "O-1",
                "宛先自治体コード": other_tenant.municipality.local_government_code,
                "宛先部署コード": other_tenant.department.code,
                "請求日": "2026-11-30",
                "取引日": date(2026, 11, 15).isoformat(),
                "品名": "品",
                "数量": "1",
                "単価": "100",
                "税区分": "10%",
            }
        ]
    )
    upload(supplier_client, data)
    (record,) = _imports(supplier)
    assert record.status == ImportStatus.INVALID
    assert "まだ取引の登録がありません" in record.preview["errors"][0]["message"]
