"""Issuing an invoice has its PDF rendered by a task, once, with failures
recorded where admins see them."""

import hashlib

import pytest
from django_scopes import scope, scopes_disabled

from config import celery_app
from invoices.models import InvoicePdf, PdfStatus
from invoices.services.pdf import invoice_pdf_request
from invoices.tasks import invoice_render_pdf_task

pytestmark = pytest.mark.django_db


def test_issue_renders_the_pdf_and_stores_its_hash(issued_invoice):
    with scopes_disabled():
        pdf = InvoicePdf.objects.get(invoice=issued_invoice)
    assert pdf.status == PdfStatus.READY
    with pdf.file.open("rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF")
    assert pdf.sha256 == hashlib.sha256(data).hexdigest()
    assert pdf.file.name.startswith(f"invoices/{issued_invoice.municipality_id}/")


def test_running_the_task_again_changes_nothing(issued_invoice):
    kwargs = {
        "invoice_id": issued_invoice.pk,
        "municipality_id": issued_invoice.municipality_id,
    }
    with scopes_disabled():
        before = InvoicePdf.objects.get(invoice=issued_invoice)
    invoice_render_pdf_task.delay(**kwargs)
    invoice_render_pdf_task.delay(**kwargs)
    with scopes_disabled():
        after = InvoicePdf.objects.get(invoice=issued_invoice)
    assert (after.file.name, after.sha256, after.attempts) == (
        before.file.name,
        before.sha256,
        before.attempts,
    )


@pytest.fixture
def worker_semantics():
    """Eager tasks that retry and record failures instead of raising, as
    they do under a worker (and in the demo)."""
    conf = celery_app.conf
    saved = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = saved


def test_a_failing_render_is_retried_then_marked_failed(
    issued_invoice, settings, tmp_path, worker_semantics
):
    with scopes_disabled():
        InvoicePdf.objects.filter(invoice=issued_invoice).update(
            status=PdfStatus.FAILED, file=""
        )
    # Media storage that cannot be written: a file stands where the folder
    # should be, so every attempt fails with an OSError.
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    with scope(municipality=issued_invoice.municipality_id):
        invoice_pdf_request(invoice=issued_invoice)
    result = invoice_render_pdf_task.apply(
        kwargs={
            "invoice_id": issued_invoice.pk,
            "municipality_id": issued_invoice.municipality_id,
        }
    )
    assert result.failed()
    with scopes_disabled():
        pdf = InvoicePdf.objects.get(invoice=issued_invoice)
    assert pdf.status == PdfStatus.FAILED
    assert pdf.attempts == 1 + 4  # the first render, then 1 try + 3 retries
    assert "NotADirectoryError" in pdf.error


def test_a_broken_template_fails_once_and_is_marked_failed(
    issued_invoice, settings, tmp_path, worker_semantics
):
    """A programming error is not worth a retry: one attempt, then the PDF
    shows as failed (with the admin's retry action), not pending."""
    with scopes_disabled():
        InvoicePdf.objects.filter(invoice=issued_invoice).update(
            status=PdfStatus.FAILED, file=""
        )
    broken = tmp_path / "templates" / "invoices" / "pdf"
    broken.mkdir(parents=True)
    (broken / "invoice.html").write_text("{% url 'no-such-page' %}")
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    with scope(municipality=issued_invoice.municipality_id):
        invoice_pdf_request(invoice=issued_invoice)
    result = invoice_render_pdf_task.apply(
        kwargs={
            "invoice_id": issued_invoice.pk,
            "municipality_id": issued_invoice.municipality_id,
        }
    )
    assert result.failed()
    with scopes_disabled():
        pdf = InvoicePdf.objects.get(invoice=issued_invoice)
    assert pdf.status == PdfStatus.FAILED
    assert pdf.attempts == 1 + 1  # the first render, then this one try
    assert "NoReverseMatch" in pdf.error
