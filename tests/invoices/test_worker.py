"""Issuing an invoice through the service, with a real Celery worker (as in
CI): its PDF and the department's mail are made by the worker."""

import os
import signal
import time
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django_scopes import scopes_disabled

from invoices.models import InvoicePdf, PdfStatus
from invoices.services.drafts import LineInput
from partners.models import Connection
from tests.celery_worker import running_worker
from tests.factories import make_invoice

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]


def _wait_for(check, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    return None


def test_worker_renders_the_pdf_and_sends_the_mail(tmp_path, tenant, supplier_user):
    if db_connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on PostgreSQL")
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
    with running_worker(tmp_path) as worker:
        with scopes_disabled():
            invoice = make_invoice(connection=connection, actor=supplier_user)

        def pdf_ready():
            with scopes_disabled():
                pdf = InvoicePdf.objects.filter(invoice=invoice).first()
            return pdf if pdf and pdf.status == PdfStatus.READY else None

        pdf = _wait_for(pdf_ready)
        assert pdf, f"no PDF within 90 s; worker said:\n{worker.output()}"
        with pdf.file.open("rb") as f:
            assert f.read(4) == b"%PDF"

        mails = _wait_for(lambda: list(worker.mail_dir.glob("*.log")))
        assert mails, f"no mail within 90 s; worker said:\n{worker.output()}"
        text = "\n".join(m.read_text() for m in mails)
        assert f"To: {tenant.department_staff.email}" in text
        assert invoice.number in text


def test_a_render_cut_short_by_a_killed_worker_is_done_again(
    tmp_path, tenant, supplier_user
):
    """acks_late and reject_on_worker_lost: the task message comes back when
    the process rendering it dies, and the PDF is rendered again."""
    if db_connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on PostgreSQL")
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
    # Enough lines that rendering takes a few seconds: time to kill it.
    lines = [
        LineInput(f"品目 {n}", Decimal(1), Decimal(100), "S") for n in range(1, 401)
    ]
    with running_worker(tmp_path, pool="prefork") as worker:
        with scopes_disabled():
            invoice = make_invoice(
                connection=connection, actor=supplier_user, lines=lines
            )

        def pdf():
            with scopes_disabled():
                return InvoicePdf.objects.get(invoice=invoice)

        # The attempt is recorded before rendering starts.
        assert _wait_for(lambda: pdf().attempts >= 1), worker.output()
        assert pdf().status == PdfStatus.PENDING, "rendered before it could be killed"
        (child,) = worker.children()
        os.kill(child, signal.SIGKILL)

        ready = _wait_for(
            lambda: (p := pdf()).status == PdfStatus.READY and p.attempts >= 2
        )
        assert ready, f"not rendered again; worker said:\n{worker.output()}"
