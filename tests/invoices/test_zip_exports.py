"""ZIPs of invoices' documents as users get them: built while the user
waits for a few invoices, by a Celery job with a progress page for many;
the supplier's ZIP of the invoices ticked in its list; and who may open a
job (only the user who asked, in the area they asked from). The ZIP's
content: test_zip_archive.py."""

import hashlib
import io
import os
import time
import zipfile
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.utils import timezone
from django_scopes import scopes_disabled

from config.celery_app import app
from invoices import archive
from invoices.models import EventKind, InvoiceEvent, ZipExport, ZipExportStatus
from invoices.services.zip_exports import zip_export_create
from invoices.tasks import supplier_zip_export_build_task, zip_exports_expire_task
from municipality.models import StaffRole
from partners.models import Connection, SupplierRole
from tests.celery_worker import running_worker
from tests.factories import (
    StaffMembershipFactory,
    SupplierMembershipFactory,
    UserFactory,
    make_invoice,
)
from tests.invoices.test_zip_archive import H, index_rows, make_zip_invoices

pytestmark = pytest.mark.django_db

SUPPLIER_EXPORT = "/supplier/invoices/search/export/"
CITY_EXPORT = "/m/kanoya/invoices/search/export/"
SUPPLIER_PDF_ZIP = "/supplier/invoices/pdf-zip/"


@pytest.fixture
def invoices(connection, supplier_user, django_capture_on_commit_callbacks):
    """INV-1 (with attachments) and INV-2 issued with their PDFs; INV-3 a
    draft."""
    return make_zip_invoices(
        connection, supplier_user, django_capture_on_commit_callbacks
    )


def _events():
    with scopes_disabled():
        return list(
            InvoiceEvent.objects.filter(kind=EventKind.DOWNLOADED)
            .select_related("invoice")
            .order_by("pk")
        )


# The search page's ZIP -------------------------------------------------------


def test_a_few_invoices_are_zipped_while_the_user_waits(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_EXPORT, {"format": "zip", "include_drafts": "on"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "_pdf.zip" in response["Content-Disposition"]
    zip_file = zipfile.ZipFile(io.BytesIO(response.content))
    top = {name for name in zip_file.namelist() if "/" not in name}
    assert top == {
        f"{invoices[0].receipt_number}_INV-1.pdf",
        f"{invoices[1].receipt_number}_INV-2.pdf",
        "index.csv",
    }
    # The draft asked for (include_drafts) is in the index, saying why.
    (draft_row,) = [r for r in index_rows(zip_file) if r[H["請求書番号"]] == "INV-3"]
    assert draft_row[H["備考"]] == str(archive.DRAFT_NO_PDF)
    assert {e.invoice.number for e in _events()} == {"INV-1", "INV-2"}
    assert ZipExport.objects.with_scopes_disabled().count() == 0


def test_many_invoices_go_to_a_job_with_a_progress_page(
    client, supplier_user, invoices, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_EXPORT, {"format": "zip"})
    job = ZipExport.objects.with_scopes_disabled().get()
    assert response.status_code == 302
    assert response["Location"] == f"/supplier/invoices/zips/{job.pk}/"
    assert (job.status, job.progress_total, job.created_by) == (
        ZipExportStatus.PENDING,
        2,
        supplier_user,
    )
    assert sorted(job.invoice_ids) == sorted([invoices[0].pk, invoices[1].pk])
    assert _events() == []  # recorded when downloaded

    page = client.get(response["Location"])
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="5">' in html  # without JS
    assert "<progress" in html
    assert "2件中 0件" in html
    assert f'data-status-url="/supplier/invoices/zips/{job.pk}/status/"' in html
    assert "import_progress.js" in html
    assert "/download/" not in html
    status = client.get(f"/supplier/invoices/zips/{job.pk}/status/").json()
    assert status == {
        "status": "pending",
        "label": "待機中",
        "in_progress": True,
        "done": 0,
        "total": 2,
    }
    # Not ready yet: the download link leads back to the page.
    early = client.get(f"/supplier/invoices/zips/{job.pk}/download/")
    assert early["Location"] == f"/supplier/invoices/zips/{job.pk}/"

    # The same request again finds the job: no second one.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = client.get(SUPPLIER_EXPORT, {"format": "zip"})
    assert again["Location"] == response["Location"]
    assert callbacks == []
    job.refresh_from_db()
    assert job.status == ZipExportStatus.PENDING

    # The worker (eager here) builds it.
    supplier_zip_export_build_task.apply(
        kwargs={"job_id": job.pk, "supplier_id": job.supplier_id}
    )
    job.refresh_from_db()
    assert job.status == ZipExportStatus.READY
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert job.finished_at is not None
    status = client.get(f"/supplier/invoices/zips/{job.pk}/status/").json()
    assert (status["in_progress"], status["done"]) == (False, 2)

    html = client.get(f"/supplier/invoices/zips/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in html
    assert f'href="/supplier/invoices/zips/{job.pk}/download/"' in html
    download = client.get(f"/supplier/invoices/zips/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == job.sha256
    zip_file = zipfile.ZipFile(io.BytesIO(data))
    assert f"{invoices[1].receipt_number}_INV-2.pdf" in zip_file.namelist()
    assert len(index_rows(zip_file)) == 1 + 4  # header, 2 PDFs, 2 attachments
    events = _events()
    assert {e.invoice.number for e in events} == {"INV-1", "INV-2"}
    assert all(
        e.data == {"format": "zip", "sha256": job.sha256} and e.actor == supplier_user
        for e in events
    )


def test_the_job_is_queued_after_commit_and_built_by_the_task(
    client, tenant, invoices, settings, django_capture_on_commit_callbacks
):
    """A city job: the service queues ``zip_export_build_task`` (a
    TenantTask) after commit; run eagerly here, it is ready at once."""
    settings.INVOICE_ZIP_INLINE_LIMIT = 0
    client.force_login(tenant.department_staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(CITY_EXPORT, {"format": "zip"})
    assert len(callbacks) == 1
    job = ZipExport.objects.with_scopes_disabled().get()
    assert response["Location"] == f"/m/kanoya/invoices/zips/{job.pk}/"
    assert job.municipality == tenant.municipality
    assert job.supplier is None
    assert job.status == ZipExportStatus.READY
    html = client.get(response["Location"]).content.decode()
    assert f"/m/kanoya/invoices/zips/{job.pk}/download/" in html
    download = client.get(f"/m/kanoya/invoices/zips/{job.pk}/download/")
    zip_file = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    # Staff never see drafts: the two issued invoices only.
    numbers = {row[H["請求書番号"]] for row in index_rows(zip_file)[1:]}
    assert numbers == {"INV-1", "INV-2"}
    assert {e.actor for e in _events()} == {tenant.department_staff}


def test_the_search_page_lists_the_users_recent_zips(
    client, supplier_user, invoices, settings
):
    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    client.force_login(supplier_user)
    job_url = client.get(SUPPLIER_EXPORT, {"format": "zip"})["Location"]
    html = client.get("/supplier/invoices/search/").content.decode()
    assert "作成したZIP" in html
    assert f'href="{job_url}"' in html
    # Another member of the same supplier does not see it.
    clerk = SupplierMembershipFactory(
        supplier=supplier_user.supplier_membership.supplier, role=SupplierRole.CLERK
    ).user
    client.force_login(clerk)
    assert job_url not in client.get("/supplier/invoices/search/").content.decode()


def test_a_failed_build_says_so_and_may_be_asked_again(
    client, supplier_user, invoices, settings, monkeypatch
):
    from invoices.services import zip_exports

    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    client.force_login(supplier_user)
    job_url = client.get(SUPPLIER_EXPORT, {"format": "zip"})["Location"]
    job = ZipExport.objects.with_scopes_disabled().get()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full of bugs")

    monkeypatch.setattr(zip_exports, "invoices_zip_write", broken)
    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False  # as a worker: record, not raise
    try:
        result = supplier_zip_export_build_task.apply(
            kwargs={"job_id": job.pk, "supplier_id": job.supplier_id}
        )
    finally:
        app.conf.task_eager_propagates = saved
    assert result.failed()
    job.refresh_from_db()
    assert job.status == ZipExportStatus.FAILED
    assert "disk full of bugs" in job.error
    html = client.get(job_url).content.decode()
    assert "ZIPを作成できませんでした" in html
    assert 'http-equiv="refresh"' not in html
    # Asked again: a new job, not the failed one.
    assert client.get(SUPPLIER_EXPORT, {"format": "zip"})["Location"] != job_url


# Who may open a job ----------------------------------------------------------


def _job_urls(prefix: str, job: ZipExport) -> list[str]:
    base = f"{prefix}/invoices/zips/{job.pk}/"
    return [base, f"{base}status/", f"{base}download/"]


def test_a_supplier_job_opens_for_its_requester_only(
    client, supplier_user, other_supplier_user, invoices, tenant
):
    with scopes_disabled():
        job = zip_export_create(
            actor=supplier_user,
            invoice_ids=[invoices[0].pk],
            supplier=supplier_user.supplier_membership.supplier,
        )
    clerk = SupplierMembershipFactory(
        supplier=supplier_user.supplier_membership.supplier, role=SupplierRole.CLERK
    ).user
    for user in (clerk, other_supplier_user):
        client.force_login(user)
        for url in _job_urls("/supplier", job):
            assert client.get(url).status_code == 404, (user, url)
    # Staff have no supplier area; the city's URL does not know the job.
    client.force_login(tenant.treasury)
    for url in _job_urls("/supplier", job) + _job_urls("/m/kanoya", job):
        assert client.get(url).status_code == 404, url
    client.force_login(supplier_user)
    for url in _job_urls("/supplier", job):
        assert client.get(url).status_code in (200, 302), url


def test_a_city_job_opens_for_its_requester_only(
    client, tenant, other_tenant, invoices, supplier_user
):
    with scopes_disabled():
        job = zip_export_create(
            actor=tenant.department_staff,
            invoice_ids=[invoices[0].pk, invoices[1].pk],
            municipality=tenant.municipality,
        )
        colleague = StaffMembershipFactory(
            municipality=tenant.municipality,
            role=StaffRole.DEPARTMENT,
            departments=[tenant.department],
        ).user
    for user in (
        colleague,
        tenant.treasury,
        tenant.city_admin,
        other_tenant.department_staff,
        supplier_user,
    ):
        client.force_login(user)
        for url in _job_urls("/m/kanoya", job) + _job_urls("/supplier", job):
            assert client.get(url).status_code == 404, (user, url)
    client.force_login(tenant.department_staff)
    for url in _job_urls("/m/kanoya", job):
        assert client.get(url).status_code in (200, 302), url
    # Taken off the department: its invoices' ZIP goes with it.
    with scopes_disabled():
        membership = tenant.department_staff.staff_memberships.get()
        membership.departments.set([tenant.other_department])
    for url in _job_urls("/m/kanoya", job):
        assert client.get(url).status_code == 404, url


# The supplier's ZIP of ticked invoices --------------------------------------


def test_the_list_offers_a_checkbox_for_each_issued_invoice(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    html = client.get("/supplier/invoices/").content.decode()
    assert 'id="pdf-zip-form"' in html
    assert 'action="/supplier/invoices/pdf-zip/"' in html
    for invoice in invoices[:2]:
        assert f'name="invoice" value="{invoice.pk}" form="pdf-zip-form"' in html, (
            invoice.number
        )
    assert f'value="{invoices[2].pk}" form="pdf-zip-form"' not in html  # draft


def test_the_supplier_downloads_the_ticked_invoices_pdfs(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_PDF_ZIP, {"invoice": [invoices[1].pk]})
    assert response.status_code == 200
    zip_file = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(zip_file.namelist()) == [
        f"{invoices[1].receipt_number}_INV-2.pdf",
        "index.csv",
    ]
    assert zip_file.read(zip_file.namelist()[0]).startswith(b"%PDF")
    assert [e.invoice.number for e in _events()] == ["INV-2"]


def test_the_supplier_zip_of_many_goes_to_a_job(
    client, supplier_user, invoices, settings
):
    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    client.force_login(supplier_user)
    ids = [invoices[0].pk, invoices[1].pk]
    response = client.get(SUPPLIER_PDF_ZIP, {"invoice": ids})
    job = ZipExport.objects.with_scopes_disabled().get()
    assert response["Location"] == f"/supplier/invoices/zips/{job.pk}/"
    assert job.invoice_ids == sorted(ids)


def test_nothing_ticked_goes_back_with_a_message(client, supplier_user, invoices):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_PDF_ZIP)
    assert response["Location"] == "/supplier/invoices/"
    (message,) = get_messages(response.wsgi_request)
    assert "チェックボックスで選んで" in str(message)


def test_another_suppliers_invoice_is_404(
    client, supplier_user, other_supplier_user, invoices
):
    client.force_login(other_supplier_user)
    response = client.get(SUPPLIER_PDF_ZIP, {"invoice": [invoices[0].pk]})
    assert response.status_code == 404
    client.force_login(supplier_user)
    with scopes_disabled():
        theirs = make_invoice(
            connection=other_supplier_user.supplier_membership.supplier.connections.get(),
            actor=other_supplier_user,
        )
    assert (
        client.get(SUPPLIER_PDF_ZIP, {"invoice": [invoices[0].pk, theirs.pk]})
    ).status_code == 404
    assert client.get(SUPPLIER_PDF_ZIP, {"invoice": ["x"]}).status_code == 404
    assert _events() == []


# A real worker (REDIS_URL set, as in CI) -----------------------------------


def _wait_for(check, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    return None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_a_worker_builds_the_zip_of_a_supplier(tmp_path, tenant, supplier_user):
    if db_connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on PostgreSQL")
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
    with running_worker(tmp_path) as worker:
        with scopes_disabled():
            invoices = [
                make_invoice(connection=connection, actor=supplier_user)
                for _ in range(2)
            ]
            job = zip_export_create(
                actor=supplier_user,
                invoice_ids=[i.pk for i in invoices],
                supplier=connection.supplier,
            )

        def ready():
            job.refresh_from_db()
            return job.status == ZipExportStatus.READY

        assert _wait_for(ready), f"no ZIP within 120 s; worker said:\n{worker.output()}"
    with job.file.open("rb") as f:
        zip_file = zipfile.ZipFile(io.BytesIO(f.read()))
    assert len(index_rows(zip_file)) == 1 + 2
    for invoice in invoices:
        name = f"{invoice.receipt_number}_{invoice.number}.pdf"
        assert zip_file.read(name).startswith(b"%PDF")


# Expiry ----------------------------------------------------------------------


def test_zips_older_than_the_keeping_time_are_deleted_with_their_files(
    client, supplier_user, invoices, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    client.force_login(supplier_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(SUPPLIER_EXPORT, {"format": "zip"})
    jobs = ZipExport.objects.with_scopes_disabled()
    old = jobs.get()
    assert old.status == ZipExportStatus.READY
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    jobs.filter(pk=old.pk).update(
        created_at=timezone.now()
        - timedelta(days=settings.INVOICE_ZIP_KEEP_DAYS, hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.get(SUPPLIER_EXPORT, {"format": "zip", "include_drafts": "on"})
    assert jobs.count() == 2

    assert zip_exports_expire_task.delay().get() == 1

    assert jobs.count() == 1
    assert not jobs.filter(pk=old.pk).exists()
    assert not storage.exists(name)
    assert client.get(f"/supplier/invoices/zips/{old.pk}/").status_code == 404
    # The downloads stay in the invoices' history; nothing else went.
    assert zip_exports_expire_task.delay().get() == 0
    assert jobs.count() == 1


def test_the_admin_lists_zip_exports_read_only(
    client, supplier_user, invoices, settings
):
    settings.INVOICE_ZIP_INLINE_LIMIT = 1
    client.force_login(supplier_user)
    client.get(SUPPLIER_EXPORT, {"format": "zip"})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/invoices/zipexport/")
    assert response.status_code == 200
    job = ZipExport.objects.with_scopes_disabled().get()
    assert f"/admin/invoices/zipexport/{job.pk}/change/" in response.content.decode()
    assert client.get("/admin/invoices/zipexport/add/").status_code == 403
