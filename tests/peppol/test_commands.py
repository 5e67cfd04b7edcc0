"""``export_jp_pint`` and ``validate_jp_pint`` for scripts."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice
from partners.models import Connection
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_invoice(tenant, supplier_user):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=supplier_user.supplier_membership.supplier
        )
        return make_invoice(connection=connection, actor=supplier_user)


def test_export_writes_the_xml_and_records_it(tmp_path, issued_invoice):
    target = tmp_path / "out.xml"
    out = StringIO()
    call_command(
        "export_jp_pint", issued_invoice.receipt_number, output=str(target), stdout=out
    )
    xml = target.read_bytes()
    assert b"urn:peppol:pint:billing-1@jp-1" in xml
    assert issued_invoice.number.encode() in xml
    assert issued_invoice.receipt_number in out.getvalue()
    with scopes_disabled():
        event = issued_invoice.events.get(kind=EventKind.DOWNLOADED)
    assert event.data["via"] == "export_jp_pint"
    # What was written validates.
    call_command("validate_jp_pint", str(target), stdout=StringIO(), stderr=StringIO())


def test_export_asks_for_the_municipality_when_the_number_repeats(
    tmp_path, issued_invoice, other_tenant, other_supplier_user
):
    with scopes_disabled():
        connection = Connection.objects.get(
            supplier=other_supplier_user.supplier_membership.supplier
        )
        other = make_invoice(connection=connection, actor=other_supplier_user)
        Invoice.objects.filter(pk=other.pk).update(
            receipt_number=issued_invoice.receipt_number
        )
    target = tmp_path / "out.xml"
    with pytest.raises(CommandError, match="--municipality"):
        call_command(
            "export_jp_pint", issued_invoice.receipt_number, output=str(target)
        )
    call_command(
        "export_jp_pint",
        issued_invoice.receipt_number,
        output=str(target),
        municipality=other_tenant.municipality.slug,
        stdout=StringIO(),
    )
    assert other.number.encode() in target.read_bytes()


def test_export_of_an_unknown_number_fails(tmp_path, db):
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("export_jp_pint", "2099-999999", output=str(tmp_path / "x.xml"))


def test_validate_prints_the_problems_and_fails(tmp_path, settings, peppol_artifacts):
    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)
    example = (
        peppol_artifacts
        / "jp-pint/billing/examples/Japan PINT Invoice UBL Example1-minimum.xml"
    )
    bad = tmp_path / "bad.xml"
    bad.write_bytes(example.read_bytes().replace(b">25250<", b">25250.4<", 1))
    out = StringIO()
    with pytest.raises(CommandError, match="致命的な問題"):
        call_command("validate_jp_pint", str(example), str(bad), stdout=out)
    lines = out.getvalue().splitlines()
    assert any("[portal-jpy-integer]" in line and "bad.xml" in line for line in lines)
    assert any("warning [portal-check-digit]" in line for line in lines)
    laughs = tmp_path / "laughs.xml"
    laughs.write_bytes(b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("validate_jp_pint", str(laughs), stdout=out)
    assert "DOCTYPE" in out.getvalue()
