"""ZIPs of invoices' PDFs as people click them: a supplier ticks invoices in
its list and downloads their PDFs as one ZIP; department staff ask for the
ZIP of a search, watch its progress page (which moves by itself) and
download it when it is ready."""

import csv
import io
import zipfile

import pytest
from django_scopes import scope, scopes_disabled
from playwright.sync_api import Page, expect

from invoices.models import ZipExport
from invoices.services import zip_exports
from partners.models import Connection
from tests.browser.helpers import login
from tests.factories import PASSWORD, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _invoices(supplier_user, count=2):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        return [
            make_invoice(connection=connection, actor=supplier_user)
            for _ in range(count)
        ]


def _zip(download) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(download.path().read_bytes()))


def _pdf_names(zip_file: zipfile.ZipFile) -> set[str]:
    return {name for name in zip_file.namelist() if name.endswith(".pdf")}


def test_supplier_downloads_the_ticked_invoices_pdfs(
    page: Page, live_server, tenant, supplier_user
):
    first, _unticked, third = _invoices(supplier_user, 3)
    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}/supplier/invoices/")
    page.get_by_label(f"請求書 {first.number} をPDFのZIPに含める").check()
    page.get_by_label(f"請求書 {third.number} をPDFのZIPに含める").check()
    with page.expect_download() as info:
        page.get_by_role(
            "button", name="チェックした請求書のPDFをまとめてダウンロード（ZIP）"
        ).click()
    zip_file = _zip(info.value)
    assert _pdf_names(zip_file) == {
        f"{invoice.receipt_number}_{invoice.number}.pdf" for invoice in (first, third)
    }
    for name in _pdf_names(zip_file):
        assert zip_file.read(name).startswith(b"%PDF")
    index = zip_file.read("index.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(index, newline="")))
    assert {row[1] for row in rows[1:]} == {first.number, third.number}


def test_staff_watch_a_large_zip_being_made_and_download_it(
    page: Page, live_server, tenant, supplier_user, settings, monkeypatch
):
    invoices = _invoices(supplier_user)
    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    # No worker: the job waits until this test builds it, as a worker would.
    monkeypatch.setattr(zip_exports, "_dispatch", lambda job: None)
    login(page, live_server, tenant.department_staff.email, PASSWORD)
    page.goto(f"{live_server.url}/m/kanoya/invoices/search/")
    page.get_by_role("link", name="PDF一式（ZIP）").click()
    expect(page.get_by_role("heading", name="ZIPを作成しています")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("2件中 0件")

    job = ZipExport.objects.with_scopes_disabled().get()
    with scope(municipality=tenant.municipality.pk):
        zip_exports.zip_export_build(job_id=job.pk)
    # The page polls its state and reloads itself once the ZIP is ready.
    download_link = page.get_by_role("link", name="ZIPをダウンロード")
    expect(download_link).to_be_visible(timeout=15_000)
    with page.expect_download() as info:
        download_link.click()
    assert _pdf_names(_zip(info.value)) == {
        f"{invoice.receipt_number}_{invoice.number}.pdf" for invoice in invoices
    }
    # The search page leads back to it.
    page.goto(f"{live_server.url}/m/kanoya/invoices/search/")
    expect(page.get_by_role("heading", name="作成したZIP")).to_be_visible()
