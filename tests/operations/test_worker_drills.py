"""Fault drills with real Celery workers on real Redis (issue 15, point 2):

- a worker is SIGKILLed, pool and all, while it renders PDFs and sends
  mail; a new worker takes over its queue, and every PDF is stored once and
  every mail sent once (acks_late, reject_on_worker_lost, the visibility
  timeout, idempotent tasks);
- the Redis server is restarted (without persistence) while invoices are
  being issued, some of them while it is down: the queued tasks are gone,
  and the sweeper (``manage.py requeue_stalled``) has every PDF rendered and
  every mail sent, each once.

Each drill runs on a ``redis-server`` of its own on a free port; the shared
one is never touched."""

import hashlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection as db_connection
from django.db.models import Q
from django_scopes import scopes_disabled

from accounts.emails import email_message_id
from accounts.models import EmailNotification, EmailStatus
from invoices.models import Invoice, InvoicePdf, PdfStatus
from invoices.services.drafts import LineInput
from tests.celery_worker import broker, running_worker
from tests.factories import make_invoice

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"),
]

# Enough lines that a PDF takes a moment to render: time to kill the
# worker in the middle of one, and a queue that is not empty at once.
LINES = [LineInput(f"品目 {n}", Decimal(1), Decimal(100), "S") for n in range(1, 41)]


@pytest.fixture(autouse=True)
def _postgresql():
    if db_connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database on PostgreSQL")


def _wait_for(check, seconds=120, what="", worker=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    log = worker.output()[-4000:] if worker else ""
    pytest.fail(f"{what}: not within {seconds} s\n{log}")


def _issue(connection, user, count: int) -> list[Invoice]:
    with scopes_disabled():
        return [
            make_invoice(connection=connection, actor=user, lines=LINES)
            for _ in range(count)
        ]


def _pdfs(invoices) -> list[InvoicePdf]:
    with scopes_disabled():
        return list(InvoicePdf.objects.filter(invoice__in=invoices).order_by("pk"))


def _mails(invoices) -> list[EmailNotification]:
    """The mails about ``invoices`` (their keys name the invoice)."""
    about = Q(pk__in=[])
    for invoice in invoices:
        about |= Q(key__startswith=f"invoice:{invoice.pk}:")
    return list(EmailNotification.objects.filter(about))


def _all_done(invoices) -> bool:
    pdfs = _pdfs(invoices)
    mails = _mails(invoices)
    return (
        len(pdfs) == len(invoices)
        and all(p.status == PdfStatus.READY for p in pdfs)
        and len(mails) >= len(invoices)
        and all(m.status == EmailStatus.SENT for m in mails)
    )


def _sent_message_ids(mail_dir: Path) -> Counter:
    """The Message-ID of every message the workers wrote, with how often."""
    ids = Counter()
    for path in mail_dir.glob("*.log"):
        ids.update(re.findall(r"^Message-ID: (\S+)$", path.read_text(), re.MULTILINE))
    return ids


def _assert_each_done_once(invoices, mail_dir: Path) -> None:
    for pdf in _pdfs(invoices):
        assert pdf.status == PdfStatus.READY
        stored = Path(settings.MEDIA_ROOT) / pdf.file.name
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == pdf.sha256
        # One stored PDF per invoice: no second rendering was saved beside it.
        prefix = stored.name.rsplit("-", 1)[0]
        siblings = [
            p
            for p in stored.parent.iterdir()
            if re.fullmatch(re.escape(prefix) + r"-[0-9a-f]{16}\.pdf", p.name)
        ]
        assert siblings == [stored], f"{pdf.invoice_id}: {siblings}"
    notifications = list(EmailNotification.objects.all())
    assert len(notifications) >= len(invoices), "a mail about each invoice"
    assert {n.status for n in notifications} == {EmailStatus.SENT}
    expected = Counter(email_message_id(n) for n in notifications)
    assert _sent_message_ids(mail_dir) == expected, "each mail sent exactly once"


def test_a_worker_killed_while_rendering_and_mailing_loses_and_repeats_nothing(
    tmp_path, connection, supplier_user, private_redis
):
    # A message of a worker that died with it returns after this timeout
    # (two hours in production, where the sweeper is the faster net). On a
    # Redis of its own: a worker restores every unacknowledged message of
    # its Redis database that is older, other tests' included.
    env = {"CELERY_VISIBILITY_TIMEOUT": "3", "REDIS_URL": private_redis.url}
    with (
        broker(private_redis.url),
        running_worker(tmp_path, pool="prefork", env=env, name="first") as first,
    ):
        invoices = _issue(connection, supplier_user, 4)

        def rendering_after_a_mail():
            mailed = EmailNotification.objects.filter(status=EmailStatus.SENT)
            with scopes_disabled():
                rendering = InvoicePdf.objects.filter(
                    invoice__in=invoices, status=PdfStatus.PENDING, attempts__gte=1
                )
                return mailed.exists() and rendering.first()

        cut = _wait_for(
            rendering_after_a_mail, what="a PDF being rendered", worker=first
        )
        first.kill()
        queue = first.queue
    with scopes_disabled():
        cut.refresh_from_db()
    assert cut.status == PdfStatus.PENDING, "killed in the middle of a rendering"
    assert not _all_done(invoices), "work was left for the second worker"

    with (
        broker(private_redis.url),
        running_worker(tmp_path, pool="prefork", queue=queue, env=env, name="second"),
    ):
        _wait_for(lambda: _all_done(invoices), what="everything done")
    with scopes_disabled():
        cut.refresh_from_db()
    assert cut.attempts >= 2, "the cut rendering was done again"
    _assert_each_done_once(invoices, tmp_path / "mail")


class RedisServer:
    """A ``redis-server`` of the test's own, without persistence (a restart
    loses every queued message: the worst case)."""

    def __init__(self, folder: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"), "--port", str(self.port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        _wait_for(lambda: _ping(client), seconds=20, what="redis-server up")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def _ping(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_redis_restart_loses_no_committed_work(
    tmp_path, connection, supplier_user, private_redis
):
    env = {"REDIS_URL": private_redis.url}
    with broker(private_redis.url), running_worker(tmp_path, env=env) as worker:
        before = _issue(connection, supplier_user, 4)
        _wait_for(
            lambda: any(p.status == PdfStatus.READY for p in _pdfs(before)),
            what="the worker at work",
            worker=worker,
        )
        private_redis.stop()  # the queued messages are gone with it
        during = _issue(connection, supplier_user, 2)  # cannot be queued
        private_redis.start()
        after = _issue(connection, supplier_user, 2)
        # The worker reconnects and does what was queued after the restart.
        _wait_for(lambda: _all_done(after), seconds=60, what="after the restart")
        invoices = before + during + after
        assert not _all_done(invoices), "the restart lost queued work"
        with scopes_disabled():
            assert Invoice.objects.filter(pk__in=[i.pk for i in during]).count() == 2

        out = StringIO()
        call_command("requeue_stalled", "--minutes", "0", stdout=out)
        requeued = re.search(r"請求書PDF (\d+)件、メール (\d+)件", out.getvalue())
        assert int(requeued[1]) >= len(during), out.getvalue()
        assert int(requeued[2]) >= len(during), out.getvalue()
        _wait_for(lambda: _all_done(invoices), what="swept work done", worker=worker)
    _assert_each_done_once(invoices, tmp_path / "mail")
