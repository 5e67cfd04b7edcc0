"""CSV bulk upload as people click it: a supplier uploads a CP932 file as
Excel writes it (full-width digits typed with an IME), checks the preview,
imports it and finds the invoice in the list; a file with a mistake shows
the row and column to fix and imports nothing."""

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from invoices.csv_import import COLUMNS
from invoices.models import ImportStatus, InvoiceImport
from tests.browser.helpers import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cp932_csv(department_code: str, *lines: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for values in lines:
        row = {
            "請求書番号": "ＣＳＶ－００１",
            "宛先自治体コード": "４６２０３９",
            "宛先部署コード": department_code,
            "請求日": "令和8年11月30日",
            "取引日": "2026/11/15",
            "件名": "11月分 事務用品",
            "単位": "箱",
            **values,
        }
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode("cp932")


def _to_invoices(page: Page) -> None:
    menu = page.get_by_role("navigation", name="メインメニュー")
    menu.get_by_role("link", name="請求書", exact=True).click()


def _upload(page: Page, data: bytes, name: str) -> None:
    _to_invoices(page)
    page.get_by_role("link", name="CSVで一括アップロード").click()
    page.get_by_label("CSVファイル").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_label("下書きとして取り込む").check()
    page.get_by_role("button", name="アップロードして内容を確認").click()


def test_upload_preview_confirm_and_a_file_with_a_mistake(
    page: Page, live_server, tenant, supplier_user
):
    code = tenant.department.code
    login(page, live_server, supplier_user.email, PASSWORD)

    _upload(
        page,
        _cp932_csv(
            code,
            {
                "品名": "コピー用紙",
                "数量": "１０",
                "単価": "￥１，２００",
                "税区分": "10%",
            },
            {"品名": "お茶", "数量": "３", "単価": "120円", "税区分": "8%"},
        ),
        "請求書.csv",
    )
    expect(page.get_by_role("heading", name="取り込む内容の確認")).to_be_visible()
    row = page.get_by_role("row", name="CSV-001")
    expect(row).to_contain_text(f"鹿屋市 {tenant.department.name}")
    expect(row).to_contain_text("2行")
    # 12,000 + 1,200 tax; 360 + 28 tax (8% of 360 = 28.8, rounded down).
    expect(row).to_contain_text("10%（標準税率）: 対象 12,000円・消費税 1,200円")
    expect(row).to_contain_text("8%（軽減税率）: 対象 360円・消費税 28円")
    expect(row).to_contain_text("13,588円")

    page.get_by_role("button", name="1件の請求書を下書きとして取り込む").click()
    expect(page.get_by_role("status")).to_contain_text(
        "請求書 1件を下書きとして取り込みました"
    )
    page.get_by_role("link", name="請求書の一覧で下書きの請求書を見る").click()
    listed = page.get_by_role("row", name="CSV-001")
    expect(listed).to_contain_text("下書き")
    expect(listed).to_contain_text("13,588円")

    # A file with a mistake: the row and column to fix, nothing imported.
    _upload(
        page,
        _cp932_csv(
            code,
            {
                "請求書番号": "ＣＳＶ－００２",
                "品名": "ボールペン",
                "数量": "２０",
                "単価": "100",
                "税区分": "5%",
            },
        ),
        "誤りあり.csv",
    )
    expect(page.get_by_role("alert")).to_contain_text("CSVに1件の誤りがあります")
    error = page.get_by_role("table", name="誤りの一覧").get_by_role("row").nth(1)
    expect(error).to_contain_text("2")
    expect(error).to_contain_text("税区分")
    expect(error).to_contain_text("「5%」という税区分はありません")
    expect(page.get_by_role("button", name="下書きとして取り込む")).not_to_be_visible()
    _to_invoices(page)
    expect(page.get_by_role("row", name="CSV-001")).to_have_count(1)
    expect(page.get_by_role("row", name="CSV-002")).to_have_count(0)


def test_the_progress_bar_follows_a_long_check_then_shows_its_outcome(
    page: Page, live_server, supplier_user
):
    """The page polls the upload's state: the bar moves while a worker
    checks the file, and the outcome shows once the check is over."""
    login(page, live_server, supplier_user.email, PASSWORD)
    upload = InvoiceImport.objects.create(
        supplier=supplier_user.supplier_membership.supplier,
        created_by=supplier_user,
        file="imports/long.csv",
        filename="long.csv",
        sha256="0" * 64,
        size=1,
        progress_total=12000,
    )
    page.goto(f"{live_server.url}/supplier/invoices/import/{upload.pk}/")
    expect(page.get_by_role("status")).to_have_text("12,000行中 0行")

    # What the worker's progress callback writes.
    InvoiceImport.objects.filter(pk=upload.pk).update(progress_done=4000)
    expect(page.get_by_role("status")).to_have_text("12,000行中 4,000行")
    expect(page.locator("progress")).to_have_attribute("value", "4000")

    InvoiceImport.objects.filter(pk=upload.pk).update(
        status=ImportStatus.INVALID,
        preview={
            "errors": [
                {
                    "row": 7,
                    "column": "品名",
                    "value": "",
                    "message": "品名を入力してください。",
                }
            ]
        },
    )
    expect(page.get_by_role("alert")).to_contain_text("CSVに1件の誤りがあります")
    expect(page.get_by_role("table", name="誤りの一覧")).to_contain_text(
        "品名を入力してください。"
    )
