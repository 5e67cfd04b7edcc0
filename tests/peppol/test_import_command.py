"""``manage.py import_jp_pint FILE --supplier T… [--dry-run]``."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scopes_disabled

from invoices.models import Invoice
from peppol.models import JpPintUpload, UploadStatus
from tests.peppol.test_upload_views import MINIMUM, RETURN, SUM1, example, world

pytestmark = pytest.mark.django_db
__all__ = ["world"]


def _zip(world, *names) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, example(world, name))
    return out.getvalue()


def test_dry_run_checks_and_saves_nothing(world, tmp_path):
    path = tmp_path / "invoices.zip"
    path.write_bytes(_zip(world, MINIMUM, SUM1))
    out = io.StringIO()
    call_command(
        "import_jp_pint",
        str(path),
        "--supplier",
        "T1234567890123",
        "--dry-run",
        stdout=out,
    )
    assert "確認しました（保存していません）: 請求書 2件" in out.getvalue()
    assert "570,730円" in out.getvalue()
    with scopes_disabled():
        assert not Invoice.objects.exists()
    assert not JpPintUpload.objects.exists()


def test_import_issues_the_invoices(world, tmp_path):
    path = tmp_path / "one.xml"
    path.write_bytes(example(world, MINIMUM))
    out = io.StringIO()
    call_command(
        "import_jp_pint", str(path), "--supplier", "T1234567890123", stdout=out
    )
    assert "発行しました: 請求書 1件" in out.getvalue()
    with scopes_disabled():
        assert Invoice.objects.get().number == "156"
    assert JpPintUpload.objects.get().status == UploadStatus.DONE
    with pytest.raises(CommandError, match="取り込み済み"):
        call_command("import_jp_pint", str(path), "--supplier", "T1234567890123")


def test_any_problem_imports_nothing(world, tmp_path):
    path = tmp_path / "mixed.zip"
    path.write_bytes(_zip(world, MINIMUM, RETURN))
    err = io.StringIO()
    with pytest.raises(CommandError, match="何も取り込んでいません"):
        call_command(
            "import_jp_pint", str(path), "--supplier", "T1234567890123", stderr=err
        )
    assert "portal-negative-total" in err.getvalue()
    with scopes_disabled():
        assert not Invoice.objects.exists()


def test_an_unknown_supplier_is_refused(world, tmp_path):
    path = tmp_path / "one.xml"
    path.write_bytes(example(world, MINIMUM))
    with pytest.raises(CommandError, match="取引先はありません"):
        call_command("import_jp_pint", str(path), "--supplier", "T7000012050002")
