"""Writing a checked file: ``csv_import`` creates the invoices through the
services of screen entry, ``csv_issue_problems`` says why they could be
saved as drafts but not issued, and ``preview_json`` stores what
``csv_parse`` found for the preview page."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy as _
from django_scopes import scope

from accounts.models import User
from invoices.csv_import.assembly import PROGRESS_EVERY, csv_parse
from invoices.csv_import.decoding import ENCODING_LABELS
from invoices.csv_import.header import _NUMBER
from invoices.csv_import.results import (
    CsvImportError,
    ParsedInvoice,
    ParseResult,
    RowError,
)
from invoices.models import Invoice
from invoices.services.drafts import (
    NUMBER_TAKEN,
    DraftInput,
    DraftsError,
    drafts_build,
    drafts_insert,
)
from invoices.services.issue import (
    IssueProblem,
    content_issue_problems,
    invoices_issue_built,
    supplier_issue_problems,
)
from partners.models import Connection, Supplier

# The issue rules a file can fail, worded for the upload: the invoice's
# number, and importing as drafts as the way out. A parsed invoice always has
# lines, so ``IssueProblem.NO_LINES`` cannot come up.
_ISSUE_PROBLEM_MESSAGES = {
    IssueProblem.NO_REGISTRATION_NUMBER: _(
        "適格請求書の発行には登録番号が必要です。事業者情報で登録番号を"
        "設定するか、下書きとして取り込んでください。"
    ),
    IssueProblem.ZERO_TOTAL: _(
        "請求書番号 %(number)s は請求金額が0円のため発行できません。"
        "明細の数量と単価を確認するか、下書きとして取り込んでください。"
    ),
}


def csv_issue_problems(
    *, result: ParseResult, supplier: Supplier
) -> tuple[RowError, ...]:
    """Why the parsed invoices could be saved as drafts but not issued: the
    rules of ``invoice_issue_problems``, the supplier's once for the file and
    each invoice's at its first row."""
    errors = [
        RowError(None, "", "", str(_ISSUE_PROBLEM_MESSAGES[problem]))
        for problem in supplier_issue_problems(supplier=supplier)
    ]
    errors += [
        RowError(
            invoice.rows[0],
            _NUMBER,
            invoice.number,
            _ISSUE_PROBLEM_MESSAGES[problem] % {"number": invoice.number},
        )
        for invoice in result.invoices
        for problem in content_issue_problems(
            has_lines=bool(invoice.lines), total=invoice.total
        )
    ]
    return tuple(errors)


def _service_error(invoice: ParsedInvoice, error: ValidationError) -> RowError:
    return RowError(
        invoice.rows[0],
        _NUMBER if NUMBER_TAKEN in error.messages else "",
        invoice.number,
        gettext("請求書番号 %(number)s: %(message)s")
        % {"number": invoice.number, "message": " ".join(error.messages)},
    )


def csv_import(
    *,
    data: bytes,
    supplier: Supplier,
    actor: User,
    issue: bool,
    progress: Callable[[int, int], None] | None = None,
) -> list[Invoice]:
    """Create every invoice of the file, as drafts or issued (``issue``),
    with the rules of screen entry (``drafts_build``, then ``drafts_insert``
    or ``invoices_issue_built``, the bulk forms of ``invoice_draft_save``
    and ``invoice_issue``), in one transaction: with any problem or
    exception, nothing remains.

    Parses the file again rather than trusting an earlier preview. Raises
    ``CsvImportError`` listing the problems. ``progress(done_lines,
    total_lines)`` reports the lines checked, then the end of writing;
    it runs inside the transaction. Needs no active scope. May run inside the caller's
    transaction (e.g. to mark the upload done with it).
    """
    result = csv_parse(data=data, supplier=supplier)
    errors = result.errors or (
        csv_issue_problems(result=result, supplier=supplier) if issue else ()
    )
    if errors:
        raise CsvImportError(errors)
    connections = (
        Connection.objects.with_scopes_disabled()
        .filter(supplier=supplier)
        .select_related("municipality", "department")
        .in_bulk({invoice.connection_id for invoice in result.invoices})
    )
    municipality_ids = sorted({c.municipality_id for c in connections.values()})
    built = []
    done = reported = 0
    # The services run in the scope of the municipalities the file is
    # addressed to, as screen entry runs in the scope of the supplier's
    # municipalities: a query that strays to another tenant's data finds
    # nothing. Each invoice is checked and built in memory as screen entry
    # checks it, then all are written at once (one insert per table).
    with scope(municipality=municipality_ids), transaction.atomic():
        try:
            for parsed, draft in zip(
                result.invoices,
                drafts_build(
                    supplier=supplier,
                    actor=actor,
                    drafts=(
                        DraftInput(
                            connection=connections[parsed.connection_id],
                            fields=parsed.fields,
                            lines=list(parsed.lines),
                        )
                        for parsed in result.invoices
                    ),
                ),
                strict=True,
            ):
                built.append(draft)
                done += len(parsed.lines)
                if progress and done - reported >= PROGRESS_EVERY:
                    progress(done, result.line_count)
                    reported = done
            write = invoices_issue_built if issue else drafts_insert
            created = write(supplier=supplier, actor=actor, drafts=built)
        except DraftsError as error:
            # E.g. the number was taken since the file was parsed.
            parsed = result.invoices[error.index]
            raise CsvImportError([_service_error(parsed, error.error)]) from error
        if progress:
            progress(result.line_count, result.line_count)
    return created


def preview_json(result: ParseResult) -> dict:
    """The result as JSON values, for ``InvoiceImport.preview``: amounts
    and dates are strings."""

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "encoding": result.encoding,
        "encoding_label": str(ENCODING_LABELS.get(result.encoding, "")),
        "line_count": result.line_count,
        "invoice_count": len(result.invoices),
        "ok": result.ok,
        "total": str(sum((invoice.total for invoice in result.invoices), Decimal(0))),
        "invoices": [
            {
                "number": invoice.number,
                "connection_id": invoice.connection_id,
                "municipality": invoice.municipality_name,
                "department": invoice.department_name,
                "first_row": invoice.rows[0],
                "line_count": len(invoice.lines),
                "issue_date": day(invoice.fields["issue_date"]),
                "transaction_date": day(invoice.fields["transaction_date"]),
                "transaction_end_date": day(invoice.fields["transaction_end_date"]),
                "due_date": day(invoice.fields["due_date"]),
                "subject": invoice.fields["subject"],
                "price_basis": invoice.fields["price_basis"],
                "subtotal": str(invoice.subtotal),
                "tax_total": str(invoice.tax_total),
                "total": str(invoice.total),
                "buckets": [
                    {"label": label, "taxable": str(taxable), "tax": str(tax)}
                    for label, taxable, tax in invoice.buckets
                ],
            }
            for invoice in result.invoices
        ],
        "errors": [_row_error_json(error) for error in result.errors],
        "notices": [_row_error_json(notice) for notice in result.notices],
    }


def _row_error_json(error: RowError) -> dict:
    return {
        "row": error.row,
        "column": error.column,
        "value": error.value,
        "message": error.message,
        "text": str(error),
    }
