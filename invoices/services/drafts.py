"""Drafts (下書き): create, update, delete, copy and correct."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import User
from invoices.models import Invoice, InvoiceLine, InvoiceStatus, InvoiceTaxSummary
from invoices.tax import (
    amount_limit_problems,
    invoice_totals,
    line_amount,
    line_sign_problem,
    negative_total_problems,
)
from invoices.withholding import invoice_withholding, withholding_problems
from invoices.workflow import invoice_lock, invoices_insert
from partners.models import Connection, Supplier

# Fields of an invoice a supplier fills in (the rest is the city's or derived).
DRAFT_FIELDS = (
    "number",
    "issue_date",
    "transaction_date",
    "transaction_end_date",
    "due_date",
    "subject",
    "order_number",
    "notes",
    "price_basis",
    "withholding_kind",
)
LINE_FIELDS = (
    "description",
    "quantity",
    "unit",
    "unit_price",
    "tax_category",
    "note",
    "delivery_number",
)

NUMBER_TAKEN = _("この請求書番号はすでに使われています。別の番号にしてください。")
CONNECTION_INACTIVE = _(
    "この宛先には現在請求書を送れません。自治体に確認してください。"
)
CORRECTION_ISSUED = _(
    "この請求書を訂正した請求書はすでに発行されています。"
    "訂正の経緯から最新の請求書を開いてください。"
)


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_category: str
    unit: str = ""
    note: str = ""  # 明細備考
    delivery_number: str = ""  # 納品書番号 (drafted from deliveries)
    withholding: bool = False


def invoice_number_suggest(*, supplier: Supplier, today: date | None = None) -> str:
    """The next free number in the supplier's ``YYYYMM-NNNN`` series."""
    prefix = f"{(today or timezone.localdate()):%Y%m}-"
    taken = set(
        Invoice.objects.with_scopes_disabled()
        .filter(supplier=supplier, number__startswith=prefix)
        .values_list("number", flat=True)
    )
    n = len(taken) + 1
    while f"{prefix}{n:04d}" in taken:
        n += 1
    return f"{prefix}{n:04d}"


def connection_check(*, connection: Connection, supplier: Supplier) -> None:
    """Refuse an addressee that is not the supplier's or no longer active."""
    if connection.supplier_id != supplier.pk:
        raise ValidationError(
            {"connection": gettext("宛先を一覧から選び直してください。")}
        )
    if not connection.is_active or not connection.department.is_active:
        raise ValidationError({"connection": CONNECTION_INACTIVE})


@dataclass
class DraftRows:
    """A draft's rows built in memory and checked, not yet written: the
    invoice with its totals set, its lines and its tax summaries. Decimal
    values are as the database gives them back, so what is computed from
    the rows (a snapshot, a content hash) is what would be computed from
    the saved rows."""

    invoice: Invoice
    lines: list[InvoiceLine]
    tax_summaries: list[InvoiceTaxSummary]


@cache
def _decimal_columns(model) -> tuple[tuple[str, Decimal], ...]:
    """The model's decimal columns and the exponent of their decimal places
    (a generated column is left out: it cannot be read before saving)."""
    return tuple(
        (field.attname, Decimal(1).scaleb(-field.decimal_places))
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField)
    )


def _as_stored(row) -> None:
    """Round each decimal value of ``row`` to its column's decimal places,
    as the database stores and returns it (``2.5`` → ``2.500``)."""
    for attname, exponent in _decimal_columns(type(row)):
        value = getattr(row, attname)
        if value is not None:
            setattr(row, attname, Decimal(value).quantize(exponent))


def _value_key(value) -> tuple | None:
    """What a value's field checks depend on, or ``None`` for a value that
    is not remembered. A decimal's digits and exponent count (``2.50`` has
    more decimal places than ``2.5``); a datetime's zone would be lost."""
    if isinstance(value, Decimal):
        return (Decimal, value.as_tuple())
    if value is None or isinstance(value, str | int) or type(value) is date:
        return (type(value), value)
    return None


class _RowChecks:
    """``full_clean`` of new rows (``validate_unique`` finds nothing
    without a primary key; constraints are the database's or the
    caller's), with each field's checks run once per distinct value and
    field: they depend on the value only (a relation's are run each time).
    An upload's lines repeat their units, tax categories, quantities and
    prices, its invoices their dates and price basis."""

    def __init__(self):
        self._checked: dict = {}

    def _check(self, field, value, row) -> tuple[bool, object]:
        try:
            return True, field.clean(value, row)
        except ValidationError as error:
            return False, error.error_list

    def full_clean(self, row, *, exclude=()) -> None:
        errors = {}
        for field in row._meta.fields:  # as Model.clean_fields
            if field.name in exclude or field.generated:
                continue
            value = getattr(row, field.attname)
            if field.blank and value in field.empty_values:
                continue
            if isinstance(value, DatabaseDefault):
                continue
            key = None if field.is_relation else _value_key(value)
            if key is None:
                good, result = self._check(field, value, row)
            else:
                checked = self._checked.get((field, key))
                if checked is None:
                    checked = self._checked[field, key] = self._check(field, value, row)
                good, result = checked
            if good:
                setattr(row, field.attname, result)
            else:
                errors[field.name] = result
        try:
            row.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _lines_build(
    invoice: Invoice, lines: list[LineInput], checks: _RowChecks
) -> DraftRows:
    """The draft's lines and tax summaries from ``lines``, and its totals
    set on ``invoice``; nothing is written.

    Raises ``ValidationError`` naming the amount when a line, a per-rate
    sum or a total would not fit its column, when a line's signs do not go
    together, when discounts and returns make a per-rate net or the
    total negative, or when lines subject to withholding are not allowed
    (``invoices.withholding``).
    """
    rounding = invoice.supplier.tax_rounding
    if problems := [
        gettext("%(row)s行目: %(message)s") % {"row": position, "message": problem}
        for position, line in enumerate(lines, start=1)
        if (
            problem := line_sign_problem(
                quantity=line.quantity, unit_price=line.unit_price
            )
        )
    ]:
        raise ValidationError(problems)
    rows = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description,
            note=line.note,
            delivery_number=line.delivery_number,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            tax_category=line.tax_category,
            amount=line_amount(
                quantity=line.quantity, unit_price=line.unit_price, rounding=rounding
            ),
            withholding=line.withholding,
        )
        for position, line in enumerate(lines, start=1)
    ]
    totals = invoice_totals(
        lines=[(r.tax_category, r.amount) for r in rows],
        price_basis=invoice.price_basis,
        rounding=rounding,
    )
    withholding = invoice_withholding(
        lines=[(r.withholding, r.amount) for r in rows],
        kind=invoice.withholding_kind,
        total=totals.total,
    )
    if problems := (
        amount_limit_problems(amounts=[r.amount for r in rows], totals=totals)
        or negative_total_problems(totals)
        or withholding_problems(
            legal_form=invoice.supplier.legal_form,
            price_basis=invoice.price_basis,
            withholding=withholding,
        )
    ):
        raise ValidationError(problems)
    for row in rows:
        # The database enforces the line constraints; checking them here too
        # would cost two queries per line (CSV imports have thousands).
        checks.full_clean(row, exclude=["invoice"])
        _as_stored(row)
    summaries = [
        InvoiceTaxSummary(
            invoice=invoice,
            tax_category=b.category,
            rate=b.rate,
            taxable_amount=b.taxable_amount,
            tax_amount=b.tax_amount,
        )
        for b in totals.buckets
    ]
    for summary in summaries:
        _as_stored(summary)
    invoice.subtotal = totals.subtotal
    invoice.tax_total = totals.tax_total
    invoice.total = totals.total
    invoice.withholding_base = withholding.base if withholding else 0
    invoice.withholding_tax = withholding.tax if withholding else 0
    _as_stored(invoice)
    return DraftRows(invoice, rows, summaries)


def _lines_write(invoice: Invoice, lines: list[LineInput]) -> None:
    """Replace the draft's lines and recompute its totals (see
    ``_lines_build`` for what it refuses; nothing is written then)."""
    built = _lines_build(invoice, lines, _RowChecks())
    invoice.lines.all().delete()
    invoice.tax_summaries.all().delete()
    InvoiceLine.objects.bulk_create(built.lines)
    InvoiceTaxSummary.objects.bulk_create(built.tax_summaries)
    invoice.save(
        update_fields=[
            "subtotal",
            "tax_total",
            "total",
            "withholding_base",
            "withholding_tax",
            "updated_at",
        ]
    )


def _draft_fields_set(invoice: Invoice, connection: Connection, fields: dict) -> None:
    invoice.connection = connection
    invoice.department = connection.department
    invoice.municipality = connection.municipality
    for name in DRAFT_FIELDS:
        if name in fields:
            setattr(invoice, name, fields[name])


@transaction.atomic
def invoice_draft_save(
    *,
    supplier: Supplier,
    actor: User,
    connection: Connection,
    fields: dict,
    lines: list[LineInput],
    invoice: Invoice | None = None,
    corrects: Invoice | None = None,
) -> Invoice:
    """Create or update a draft (下書き) with its lines and totals.

    Raises ``ValidationError`` (field errors in Japanese) and nothing is
    saved; ``FrozenInvoiceError`` if ``invoice`` is no longer a draft.
    """
    connection_check(connection=connection, supplier=supplier)
    if invoice is None:
        invoice = Invoice(supplier=supplier, created_by=actor, corrects=corrects)
    else:
        invoice = invoice_lock(invoice)
        if invoice.supplier_id != supplier.pk or not invoice.is_draft:
            raise ValidationError(gettext("下書きではない請求書は編集できません。"))
    _draft_fields_set(invoice, connection, fields)
    invoice.full_clean(exclude=["created_by"])
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as error:
        # Two saves of one number at the same moment: full_clean passed for
        # both, the unique constraint stops the second.
        raise ValidationError({"number": NUMBER_TAKEN}) from error
    _lines_write(invoice, lines)
    return invoice


# Many new drafts at once (the CSV upload) ------------------------------------
# The rules of ``invoice_draft_save``, in two steps: each draft is checked
# and built in memory (``drafts_build``, no query), then all are written with
# one insert per table (``drafts_insert``), their numbers checked together.

_IN_CHUNK = 2000  # numbers per ``IN`` query (SQLite limits its parameters)

# Checked for all drafts at once, or known already: the numbers' uniqueness
# (``_numbers_check``), the addressee's rows (``connection_check`` on the
# objects given) and the check constraints (the database enforces them; the
# callers' forms and the CSV reader name the fields). Django would query the
# database for each of them, for each invoice.
_CHECKED_TOGETHER = [
    "created_by",
    "supplier",
    "connection",
    "department",
    "municipality",
    "corrects",
]


class DraftsError(Exception):
    """One draft of several refused: its place in the order given
    (``index``) and why (``error``, as ``invoice_draft_save`` raises it)."""

    def __init__(self, index: int, error: ValidationError):
        self.index = index
        self.error = error
        super().__init__(f"{index}: {' '.join(error.messages)}")


@dataclass(frozen=True)
class DraftInput:
    """What ``invoice_draft_save`` is given for a new draft."""

    connection: Connection
    fields: dict
    lines: list[LineInput]


def drafts_build(
    *, supplier: Supplier, actor: User, drafts: Iterable[DraftInput]
) -> Iterator[DraftRows]:
    """Each new draft checked as ``invoice_draft_save`` checks it, built in
    memory and not saved, in turn; ``drafts_insert`` saves them and checks
    their numbers. The field checks shared by all (``_RowChecks``) run
    once per distinct value. Raises ``DraftsError`` naming the first draft
    refused, with the ``ValidationError`` that service would raise."""
    checks = _RowChecks()
    for index, draft in enumerate(drafts):
        try:
            connection_check(connection=draft.connection, supplier=supplier)
            invoice = Invoice(supplier=supplier, created_by=actor)
            _draft_fields_set(invoice, draft.connection, draft.fields)
            checks.full_clean(invoice, exclude=_CHECKED_TOGETHER)
            yield _lines_build(invoice, draft.lines, checks)
        except ValidationError as error:
            raise DraftsError(index, error) from error


def _numbers_check(supplier: Supplier, invoices: list[Invoice]) -> None:
    """Raise ``DraftsError`` for the first invoice whose number is taken,
    by the supplier's saved invoices or by an earlier one of ``invoices``."""
    first = {}
    for index, invoice in enumerate(invoices):
        if invoice.number in first:
            raise DraftsError(index, ValidationError({"number": NUMBER_TAKEN}))
        first[invoice.number] = index
    numbers = list(first)
    taken = [
        number
        for start in range(0, len(numbers), _IN_CHUNK)
        for number in Invoice.objects.with_scopes_disabled()
        .filter(supplier=supplier, number__in=numbers[start : start + _IN_CHUNK])
        .values_list("number", flat=True)
    ]
    if taken:
        index = min(first[number] for number in taken)
        raise DraftsError(index, ValidationError({"number": NUMBER_TAKEN}))


@transaction.atomic
def drafts_insert(
    *,
    supplier: Supplier,
    actor: User,
    drafts: Sequence[DraftRows],
    status: str = InvoiceStatus.DRAFT,
) -> list[Invoice]:
    """Save the drafts of ``drafts_build``, in the order given, with one
    insert per table, after checking their numbers. With another
    ``status`` (``invoices_issue_built`` has set the issue's fields), they
    are inserted in it, each with its event (``invoices_insert``).

    Raises ``DraftsError`` naming the first draft whose number is taken;
    nothing is saved then."""
    invoices = [draft.invoice for draft in drafts]
    _numbers_check(supplier, invoices)
    try:
        with transaction.atomic():
            invoices_insert(invoices=invoices, to=status, actor=actor)
    except IntegrityError:
        # A number taken since the check (two uploads at the same moment).
        _numbers_check(supplier, invoices)
        raise
    InvoiceLine.objects.bulk_create(line for draft in drafts for line in draft.lines)
    InvoiceTaxSummary.objects.bulk_create(
        summary for draft in drafts for summary in draft.tax_summaries
    )
    return invoices


@transaction.atomic
def invoice_draft_delete(*, invoice: Invoice, actor: User) -> None:
    invoice = invoice_lock(invoice)
    invoice.delete()  # refuses anything but a draft


def _lines_of(invoice: Invoice) -> list[LineInput]:
    return [
        LineInput(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_category=line.tax_category,
            unit=line.unit,
            note=line.note,
            withholding=line.withholding,
        )
        for line in invoice.lines.order_by("position")
    ]


@transaction.atomic
def invoice_copy(*, invoice: Invoice, actor: User, corrects: bool = False) -> Invoice:
    """A new draft with the same content, numbered afresh. With
    ``corrects``, the draft is the correction of a returned invoice (訂正).
    (複製 on the supplier's pages saves nothing: it fills the new-invoice
    form, ``invoices.views.supplier.InvoiceCopyView``.)"""
    if corrects and invoice.status != InvoiceStatus.RETURNED:
        raise ValidationError(gettext("訂正できるのは差戻しされた請求書だけです。"))
    supplier = invoice.supplier
    today = timezone.localdate()
    fields = {name: getattr(invoice, name) for name in DRAFT_FIELDS}
    fields.update(number=invoice_number_suggest(supplier=supplier), issue_date=today)
    return invoice_draft_save(
        supplier=supplier,
        actor=actor,
        connection=invoice.connection,
        fields=fields,
        lines=_lines_of(invoice),
        corrects=invoice if corrects else None,
    )


@transaction.atomic
def invoice_correct(*, invoice: Invoice, actor: User) -> tuple[Invoice, bool]:
    """訂正: the draft that corrects a returned invoice, prefilled with its
    content, and whether it was made now. A returned invoice has at most
    one correction: a second call (a second click) returns the draft
    already made. The returned invoice's row is locked, so two calls at
    the same moment make one draft.

    Raises ``ValidationError`` if the invoice is not returned or its
    correction is already issued; nothing is created then."""
    invoice = invoice_lock(invoice)
    corrections = invoice.corrections.all()
    if corrections.exclude(status=InvoiceStatus.DRAFT).exists():
        raise ValidationError(CORRECTION_ISSUED)
    if (draft := corrections.first()) is not None:
        return draft, False
    return invoice_copy(invoice=invoice, actor=actor, corrects=True), True
