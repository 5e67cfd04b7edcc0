"""examples/api_client.py, run as a separate process against a live
server, issues an invoice that the department then has in its inbox."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiScope
from api.services.keys import api_key_create
from invoices.models import Invoice, InvoiceStatus

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_the_example_client_issues_an_invoice(live_server, supplier_user, tmp_path):
    _, key = api_key_create(
        supplier=supplier_user.supplier_membership.supplier,
        actor=supplier_user,
        name="example",
        scope=ApiScope.ISSUE,
        expires_at=timezone.now() + timedelta(days=1),
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_client.py")],
        env={
            "PATH": os.environ["PATH"],
            "PORTAL_URL": live_server.url,
            "PORTAL_API_KEY": key,
            "INVOICE_NUMBER": "EX-0001",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "発行しました: EX-0001" in result.stdout
    assert (tmp_path / "EX-0001.pdf").read_bytes().startswith(b"%PDF")
    with scopes_disabled():
        invoice = Invoice.objects.get(number="EX-0001")
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.total == 27500


@pytest.mark.django_db(transaction=True)
def test_the_example_client_prints_the_portals_refusal(live_server, tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_client.py")],
        env={
            "PATH": os.environ["PATH"],
            "PORTAL_URL": live_server.url,
            "PORTAL_API_KEY": "ipk_nope_nope",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "401" in result.stderr
