"""Issuing an invoice has its PDF rendered by a task, once, with failures
recorded where admins see them."""

import hashlib

import pytest
from django_scopes import scope, scopes_disabled

from config import celery_app
from invoices.models import InvoicePdf, PdfStatus
from invoices.services import pdf as pdf_services
from invoices.services.pdf import invoice_pdf_request
from invoices.tasks import invoice_render_pdf_task, invoices_render_pdfs_task
from tests.factories import make_invoice

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


# Invoices issued together (a CSV upload): one task per chunk of them.


def test_a_chunk_task_renders_each_pdf_once(issued_invoice, connection, supplier_user):
    """Run twice (a redelivered message), each PDF is rendered once; the
    ready one stays as it was."""
    with scopes_disabled():
        other = make_invoice(connection=connection, actor=supplier_user)
        before = InvoicePdf.objects.get(invoice=issued_invoice)
        InvoicePdf.objects.filter(invoice=other).update(
            status=PdfStatus.PENDING, file=""
        )
    kwargs = {
        "invoice_ids": [issued_invoice.pk, other.pk],
        "municipality_id": issued_invoice.municipality_id,
    }
    invoices_render_pdfs_task.delay(**kwargs)
    invoices_render_pdfs_task.delay(**kwargs)
    with scopes_disabled():
        pdfs = {p.invoice_id: p for p in InvoicePdf.objects.all()}
    assert pdfs[issued_invoice.pk].attempts == before.attempts
    assert pdfs[issued_invoice.pk].sha256 == before.sha256
    assert pdfs[other.pk].status == PdfStatus.READY


def test_in_a_chunk_a_broken_pdf_fails_alone(
    issued_invoice, connection, supplier_user, settings, tmp_path, worker_semantics
):
    """A programming error on one invoice marks that PDF failed; the task
    goes on with the others."""
    with scopes_disabled():
        other = make_invoice(connection=connection, actor=supplier_user)
        InvoicePdf.objects.update(status=PdfStatus.PENDING, file="")
    broken = tmp_path / "templates" / "invoices" / "pdf"
    broken.mkdir(parents=True)
    (broken / "invoice.html").write_text(
        "{% if invoice.pk == " + str(other.pk) + " %}{% url 'no-such-page' %}"
        "{% endif %}<html><body>ok</body></html>"
    )
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    result = invoices_render_pdfs_task.apply(
        kwargs={
            "invoice_ids": [other.pk, issued_invoice.pk],
            "municipality_id": issued_invoice.municipality_id,
        }
    )
    assert result.successful()
    with scopes_disabled():
        pdfs = {p.invoice_id: p for p in InvoicePdf.objects.all()}
    assert pdfs[other.pk].status == PdfStatus.FAILED
    assert "NoReverseMatch" in pdfs[other.pk].error
    assert pdfs[issued_invoice.pk].status == PdfStatus.READY


def test_issuing_many_at_once_queues_a_task_per_chunk(
    connection, supplier_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf_services, "PDF_TASK_CHUNK", 2)
    sent = []
    monkeypatch.setattr(
        invoices_render_pdfs_task,
        "apply_async",
        lambda args=(), kwargs=None, **options: sent.append(kwargs),
    )
    with scopes_disabled():
        drafts = [
            make_invoice(connection=connection, actor=supplier_user, issue=False)
            for _ in range(5)
        ]
        InvoicePdf.objects.filter(invoice__in=drafts).delete()
        with django_capture_on_commit_callbacks(execute=True):
            pdf_services.invoices_pdf_request(invoices=drafts)
    assert [len(kwargs["invoice_ids"]) for kwargs in sent] == [2, 2, 1]
    assert sorted(i for kwargs in sent for i in kwargs["invoice_ids"]) == sorted(
        d.pk for d in drafts
    )
