"""The transition table, walked both ways, and the frozen invoice."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django_scopes import scopes_disabled

from invoices.duties import DutyConflictError
from invoices.models import (
    FrozenInvoiceError,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
)
from invoices.workflow import (
    CITY_DECISIONS,
    TRANSITIONS,
    TransitionError,
    invoice_transition,
)

pytestmark = pytest.mark.django_db

ALL = list(InvoiceStatus.values)


def _force_status(invoice, status):
    Invoice.objects.with_scopes_disabled().filter(pk=invoice.pk).update(status=status)


@pytest.mark.parametrize(
    ("start", "to"),
    # Sorted: a frozenset's order differs between processes (pytest-xdist).
    [
        (s, t)
        for s, targets in TRANSITIONS.items()
        for t in sorted(targets)
        if s != "draft"
    ],
)
def test_every_allowed_transition_moves_and_records_one_event(
    issued_invoice, supplier_user, tenant, start, to
):
    # The city's decisions are the city staff's (separation of duties).
    actor = tenant.department_staff if (start, to) in CITY_DECISIONS else supplier_user
    _force_status(issued_invoice, start)
    with scopes_disabled():
        before = InvoiceEvent.objects.count()
        moved = invoice_transition(invoice=issued_invoice, to=to, actor=actor)
        assert moved.status == to
        event = InvoiceEvent.objects.order_by("pk").last()
        assert InvoiceEvent.objects.count() == before + 1
    assert (event.from_status, event.to_status) == (start, to)
    assert event.actor == actor


@pytest.mark.parametrize(("start", "to"), sorted(CITY_DECISIONS))
def test_a_member_of_the_issuing_supplier_cannot_make_the_citys_decisions(
    issued_invoice, supplier_user, start, to
):
    _force_status(issued_invoice, start)
    with scopes_disabled():
        before = InvoiceEvent.objects.count()
        with pytest.raises(DutyConflictError, match=r"発行元.*所属しているため"):
            invoice_transition(invoice=issued_invoice, to=to, actor=supplier_user)
        assert Invoice.objects.get(pk=issued_invoice.pk).status == start
        assert InvoiceEvent.objects.count() == before


def test_the_citys_decisions_are_moves_of_the_transition_table():
    assert all(to in TRANSITIONS[start] for start, to in CITY_DECISIONS)
    # Withdrawing and issuing are the supplier's; taking a scheduled invoice
    # back (a cancelled batch) stops a payment and stays open to anyone.
    assert ("issued", "withdrawn") not in CITY_DECISIONS
    assert ("scheduled", "approved") not in CITY_DECISIONS


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (s, t)
        for s, t in itertools.product(ALL, ALL)
        if t not in TRANSITIONS[s] and s != "draft"
    ],
)
def test_every_forbidden_transition_is_refused_and_changes_nothing(
    issued_invoice, supplier_user, start, to
):
    _force_status(issued_invoice, start)
    with scopes_disabled():
        before = InvoiceEvent.objects.count()
        with pytest.raises(TransitionError, match="画面を更新"):
            invoice_transition(invoice=issued_invoice, to=to, actor=supplier_user)
        assert Invoice.objects.get(pk=issued_invoice.pk).status == start
        assert InvoiceEvent.objects.count() == before


def test_issued_invoice_cannot_be_edited_or_deleted_by_anyone(issued_invoice):
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=issued_invoice.pk)
        invoice.subject = "書き換え"
        with pytest.raises(FrozenInvoiceError):
            invoice.save()
        with pytest.raises(FrozenInvoiceError):
            invoice.save(update_fields=["subject"])
        with pytest.raises(FrozenInvoiceError):
            invoice.delete()
        line = InvoiceLine.objects.filter(invoice=invoice).first()
        line.amount = 1
        with pytest.raises(FrozenInvoiceError):
            line.save()
        with pytest.raises(FrozenInvoiceError):
            line.delete()
        assert Invoice.objects.get(pk=invoice.pk).subject == "事務用品"


def test_verify_audit_chain_passes_when_intact(issued_invoice, capsys):
    call_command("verify_audit_chain")
    assert "改ざんはありません" in capsys.readouterr().out


def _tamper(sql, params):
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_audit_chain_names_an_altered_event(issued_invoice):
    with scopes_disabled():
        event = InvoiceEvent.objects.get(invoice=issued_invoice)
    _tamper(
        "UPDATE invoices_invoiceevent SET reason = %s WHERE id = %s",
        ["書き換え", event.pk],
    )
    with pytest.raises(CommandError, match=f"履歴 ID {event.pk}"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_a_removed_event(
    issued_invoice, supplier_user, django_capture_on_commit_callbacks
):
    from tests.factories import make_invoice

    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        make_invoice(connection=issued_invoice.connection, actor=supplier_user)
        first = InvoiceEvent.objects.order_by("pk").first()
    _tamper("DELETE FROM invoices_invoiceevent WHERE id = %s", [first.pk])
    with pytest.raises(CommandError, match="直前のハッシュが一致しません"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_the_last_event_removed(issued_invoice):
    with scopes_disabled():
        last = InvoiceEvent.objects.order_by("pk").last()
    _tamper("DELETE FROM invoices_invoiceevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="最後の履歴が削除"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_an_altered_invoice_line(issued_invoice):
    _tamper(
        "UPDATE invoices_invoiceline SET amount = amount + 1 WHERE invoice_id = %s",
        [issued_invoice.pk],
    )
    with pytest.raises(CommandError, match="明細または合計"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_altered_totals(issued_invoice):
    _tamper(
        "UPDATE invoices_invoice SET subtotal = subtotal + 100, total = total + 100"
        " WHERE id = %s",
        [issued_invoice.pk],
    )
    with pytest.raises(CommandError, match="明細または合計"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_an_altered_invoice_number(issued_invoice):
    _tamper(
        "UPDATE invoices_invoice SET number = %s WHERE id = %s",
        ["X-0001", issued_invoice.pk],
    )
    with pytest.raises(CommandError, match="番号・日付・件名"):
        call_command("verify_audit_chain")


def test_verify_audit_chain_notices_an_altered_snapshot(issued_invoice):
    with scopes_disabled():
        snapshot = Invoice.objects.get(pk=issued_invoice.pk).snapshot
    snapshot["supplier"]["registration_number"] = "T7120001168421"
    Invoice.objects.with_scopes_disabled().filter(pk=issued_invoice.pk).update(
        snapshot=snapshot
    )
    with pytest.raises(CommandError, match="発行時のハッシュ"):
        call_command("verify_audit_chain")
