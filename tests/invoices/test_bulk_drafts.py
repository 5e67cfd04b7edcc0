"""Many new invoices at once (the CSV upload's services): ``drafts_build``
checks each draft's fields as ``full_clean`` does, though it checks each
distinct value once, and ``rows_insert`` (one COPY on PostgreSQL) stores
what ``bulk_create`` would."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from invoices.audit_verify import chain_verify
from invoices.copying import COPY_FROM, rows_insert
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from invoices.services.drafts import (
    DraftInput,
    DraftsError,
    LineInput,
    drafts_build,
    drafts_insert,
)
from invoices.services.issue import invoices_issue_built
from invoices.snapshot import invoice_content_problem

pytestmark = pytest.mark.django_db

# Quotes, a backslash, a tab and a line break: what COPY's text format and
# the JSON of the snapshot both escape.
AWKWARD = 'コピー用紙 "A4" \\ 10箱\t（再生紙）\n2段目'


def _draft(connection, number: str, *lines: LineInput, **fields) -> DraftInput:
    return DraftInput(
        connection=connection,
        fields={
            "number": number,
            "issue_date": date(2026, 11, 1),
            "transaction_date": date(2026, 10, 31),
            "subject": AWKWARD,
            "notes": AWKWARD,
            "price_basis": "exclusive",
            **fields,
        },
        lines=list(lines)
        or [LineInput(AWKWARD, Decimal("2.5"), Decimal(450), "S", "箱")],
    )


def _build(connection, actor, drafts) -> list:
    with scopes_disabled():
        return list(
            drafts_build(supplier=connection.supplier, actor=actor, drafts=drafts)
        )


def _full_clean_errors(line: InvoiceLine) -> dict:
    with pytest.raises(ValidationError) as raised:
        line.full_clean(exclude=["invoice"], validate_constraints=False)
    return raised.value.message_dict


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        # Equal numbers, but the second has more decimal places than the
        # column holds: it is checked on its own, not as the first.
        (
            LineInput("品", Decimal("1.5"), Decimal(1), "S"),
            LineInput("品", Decimal("1.5000"), Decimal(1), "S"),
        ),
        (
            LineInput("品", Decimal(1), Decimal(1), "S"),
            LineInput("品" * 201, Decimal(1), Decimal(1), "S"),
        ),
        (
            LineInput("品", Decimal(1), Decimal(1), "S"),
            LineInput("品", Decimal(1), Decimal(1), "S", unit="箱" * 21),
        ),
    ],
)
def test_a_value_is_refused_as_full_clean_refuses_it_after_others_passed(
    connection, supplier_user, good, bad
):
    with pytest.raises(DraftsError) as raised:
        _build(
            connection,
            supplier_user,
            [_draft(connection, "B-1", good, good), _draft(connection, "B-2", bad)],
        )
    assert raised.value.index == 1
    expected = _full_clean_errors(
        InvoiceLine(
            position=1,
            description=bad.description,
            quantity=bad.quantity,
            unit=bad.unit,
            unit_price=bad.unit_price,
            tax_category=bad.tax_category,
            amount=Decimal(1),
        )
    )
    assert raised.value.error.message_dict == expected


def test_an_invoice_field_is_refused_with_full_cleans_message(
    connection, supplier_user
):
    with pytest.raises(DraftsError) as raised:
        _build(
            connection,
            supplier_user,
            [
                _draft(connection, "B-1"),
                _draft(connection, "B-2", order_number="9" * 41),
            ],
        )
    assert raised.value.index == 1
    assert list(raised.value.error.message_dict) == ["order_number"]
    with pytest.raises(ValidationError) as full_clean:
        Invoice(order_number="9" * 41).clean_fields(
            exclude=[f.name for f in Invoice._meta.fields if f.name != "order_number"]
        )
    assert raised.value.error.message_dict == full_clean.value.message_dict


def _stored(invoice: Invoice) -> dict:
    return {
        f.attname: getattr(invoice, f.attname)
        for f in Invoice._meta.concrete_fields
        if not f.generated
    }


def test_issuing_many_at_once_stores_what_was_built(
    connection, supplier_user, django_capture_on_commit_callbacks
):
    count = COPY_FROM + 5  # one COPY on PostgreSQL
    drafts = _build(
        connection,
        supplier_user,
        [_draft(connection, f"C-{n}") for n in range(count)],
    )
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=False):
        issued = invoices_issue_built(
            supplier=connection.supplier, actor=supplier_user, drafts=drafts
        )
    with scopes_disabled():
        stored = Invoice.objects.in_bulk([invoice.pk for invoice in issued])
        assert [invoice.pk for invoice in issued] == sorted(stored)
        for invoice in issued:
            saved = stored[invoice.pk]
            assert _stored(saved) == _stored(invoice)
            assert saved.status == InvoiceStatus.ISSUED
            assert saved.snapshot["subject"] == AWKWARD
            assert saved.unopened
            assert invoice_content_problem(saved) is None
        assert chain_verify() is None


def test_a_number_taken_in_the_database_is_an_integrity_error(
    connection, supplier_user
):
    drafts = _build(
        connection,
        supplier_user,
        [_draft(connection, f"D-{n}") for n in range(COPY_FROM)],
    )
    with scopes_disabled():
        drafts_insert(
            supplier=connection.supplier, actor=supplier_user, drafts=drafts[:1]
        )
        again = _build(
            connection,
            supplier_user,
            [_draft(connection, f"D-{n}") for n in range(COPY_FROM)],
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            rows_insert(Invoice, [draft.invoice for draft in again])
        assert Invoice.objects.filter(supplier=connection.supplier).count() == 1
