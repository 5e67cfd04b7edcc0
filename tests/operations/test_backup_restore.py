"""The backup and restore drill (issue 15, point 3): the demo data and an
invoice with attachments are backed up while the portal's database is
PostgreSQL, restored by ``manage.py restore`` in another process into a
fresh database created for the test, and every invoice, PDF hash,
attachment hash and the audit chain are checked there. A damaged backup
and a database that is not empty are refused before anything is written."""

import hashlib
import json
import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_scopes import scopes_disabled
from psycopg import sql

from invoices.attachments import attachment_add, attachment_check
from invoices.models import Invoice, InvoiceAttachment, InvoiceEvent, InvoicePdf
from invoices.services.issue import invoice_issue
from municipality.models import SettingsEvent
from partners.models import Connection
from tests.factories import make_invoice
from tests.invoices.test_attachments import _pdf, _png

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    # pg_dump reads what the test wrote: it must be committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the drill restores into a fresh PostgreSQL database",
    ),
]


def _libpq() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }


def _url(name: str) -> str:
    p = _libpq()
    password = f":{p['password']}" if p["password"] else ""
    return f"postgres://{p['user']}{password}@{p['host']}:{p['port']}/{name}"


@pytest.fixture
def fresh_database():
    """A new, empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **_libpq()) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **_libpq()) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def _manage(*args: str, database: str, media: Path) -> subprocess.CompletedProcess:
    """``manage.py`` in its own process, on another database and storage,
    as an operator runs it on a new server."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _url(database),
        "MEDIA_ROOT": str(media),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _rows(database: str, model, *columns: str) -> list[tuple]:
    """``columns`` of every row of ``model``'s table in ``database``, by id."""
    query = sql.SQL("SELECT {} FROM {} ORDER BY id").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(model._meta.db_table),
    )
    with psycopg.connect(dbname=database, **_libpq()) as db:
        return db.execute(query).fetchall()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def invoice_with_attachments(tenant, supplier_user):
    """An issued invoice with a PNG and a PDF attached."""
    with scopes_disabled():
        invoice = make_invoice(
            connection=Connection.objects.get(
                supplier=supplier_user.supplier_membership.supplier
            ),
            actor=supplier_user,
            issue=False,
            number="ATT-1",
        )
        for name, data, content_type in [
            ("納品書.png", _png(), "image/png"),
            ("検査調書.pdf", _pdf(), "application/pdf"),
        ]:
            upload = SimpleUploadedFile(name, data, content_type=content_type)
            attachment_add(invoice=invoice, checked=attachment_check(upload))
        return invoice_issue(invoice=invoice, actor=supplier_user)


@pytest.fixture
def demo_with_attachments(invoice_with_attachments):
    """The demo data (which has no attachments) and that invoice."""
    call_command("seed_demo", force=True, stdout=StringIO())


def _backup(folder: Path) -> dict:
    out = StringIO()
    call_command("backup", str(folder), stdout=out)
    assert "バックアップしました" in out.getvalue()
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_the_demo_data_is_restored_whole_into_a_fresh_database(
    demo_with_attachments, tmp_path, fresh_database
):
    with scopes_disabled():
        invoices = {
            i.pk: (i.number, i.status, i.content_hash, i.receipt_number, i.total)
            for i in Invoice.objects.all()
        }
        pdfs = dict(InvoicePdf.objects.values_list("invoice_id", "sha256"))
        attachments = {
            a.pk: (a.invoice_id, a.original_name, a.sha256)
            for a in InvoiceAttachment.objects.all()
        }
        events = list(InvoiceEvent.objects.order_by("pk").values_list("pk", "hash"))
        settings_events = list(
            SettingsEvent.objects.order_by("pk").values_list("pk", "hash")
        )
    assert len(invoices) >= 10, "the demo data and the invoice with attachments"
    assert len(attachments) == 2
    assert all(pdfs.values()), "every PDF rendered before the backup"

    manifest = _backup(tmp_path / "backup")
    assert manifest["database"] == {"vendor": "postgresql", "file": "database.dump"}
    assert manifest["counts"]["invoices.Invoice"] == len(invoices)
    assert "0001_initial" in manifest["migrations"]["invoices"]
    assert manifest["app"]["version"]
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    for path, digest in listed.items():
        assert _sha256(tmp_path / "backup" / path) == digest, path

    media = tmp_path / "restored-media"
    result = _manage(
        "restore", str(tmp_path / "backup"), database=fresh_database, media=media
    )
    assert result.returncode == 0, result.stderr
    assert "改ざんはありません" in result.stdout

    restored = {
        pk: (number, status, content_hash, receipt_number, total)
        for pk, number, status, content_hash, receipt_number, total in _rows(
            fresh_database,
            Invoice,
            "id",
            "number",
            "status",
            "content_hash",
            "receipt_number",
            "total",
        )
    }
    assert restored == invoices
    restored_pdfs = _rows(fresh_database, InvoicePdf, "invoice_id", "file", "sha256")
    assert {invoice_id: digest for invoice_id, _, digest in restored_pdfs} == pdfs
    for invoice_id, name, digest in restored_pdfs:
        assert _sha256(media / name) == digest, f"PDF of invoice {invoice_id}"
    restored_attachments = _rows(
        fresh_database,
        InvoiceAttachment,
        "id",
        "invoice_id",
        "original_name",
        "file",
        "sha256",
    )
    assert {
        pk: (invoice_id, original, digest)
        for pk, invoice_id, original, _, digest in restored_attachments
    } == attachments
    for pk, _, _, name, digest in restored_attachments:
        assert _sha256(media / name) == digest, f"attachment {pk}"
    assert (
        _rows(
            fresh_database,
            InvoiceEvent,
            "id",
            "hash",
        )
        == events
    )
    assert (
        _rows(
            fresh_database,
            SettingsEvent,
            "id",
            "hash",
        )
        == settings_events
    )

    verified = _manage("verify_audit_chain", database=fresh_database, media=media)
    assert verified.returncode == 0, verified.stderr
    assert "改ざんはありません" in verified.stdout


def test_a_damaged_backup_is_refused_before_anything_is_written(
    invoice_with_attachments, tmp_path, fresh_database
):
    folder = tmp_path / "backup"
    manifest = _backup(folder)
    attachment = next(
        entry
        for entry in manifest["files"]
        if entry.get("field") == "invoices.InvoiceAttachment.file"
    )
    with (folder / attachment["path"]).open("r+b") as f:
        f.seek(10)
        f.write(b"X")

    media = tmp_path / "restored-media"
    result = _manage("restore", str(folder), database=fresh_database, media=media)
    assert result.returncode == 1
    assert "壊れているか欠けている" in result.stderr
    assert f"{attachment['path']}: SHA-256 が記録と違います" in result.stderr
    with psycopg.connect(dbname=fresh_database, **_libpq()) as db:
        tables = db.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,), "nothing restored"
    assert not media.exists()

    (folder / "manifest.json").unlink()
    with pytest.raises(CommandError, match=r"manifest\.json がありません"):
        call_command("restore", str(folder))


def test_restore_refuses_a_database_that_is_not_empty(tmp_path, tenant):
    """The test database has the tables (and a municipality): refused, and
    nothing is changed."""
    folder = tmp_path / "backup"
    _backup(folder)
    with pytest.raises(CommandError, match="空ではありません") as refused:
        call_command("restore", str(folder))
    assert connection.settings_dict["NAME"] in str(refused.value)


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "old.txt").write_text("an earlier backup")
    with pytest.raises(CommandError, match="空のフォルダではありません"):
        call_command("backup", str(folder))
