"""What is printed on an issued invoice, frozen as JSON at issue."""

from collections.abc import Sequence

from django.utils.translation import gettext

from invoices.models import Invoice, InvoiceLine, InvoiceTaxSummary
from municipality.audit import canonical_json, sha256_hex
from partners.models import BankAccount


def _date(value) -> str:
    return value.isoformat() if value else ""


def _line_snapshot(line) -> dict:
    snapshot = {
        "position": line.position,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "tax_category": line.tax_category,
        "amount": str(line.amount),
    }
    # 明細備考, 納品書番号 and 源泉徴収 only when there is one: the snapshots
    # (and content hashes) of invoices issued before lines had them stay
    # what they were.
    if line.note:
        snapshot["note"] = line.note
    if line.delivery_number:
        snapshot["delivery_number"] = line.delivery_number
    if line.withholding:
        snapshot["withholding"] = True
    return snapshot


def _position(line: InvoiceLine) -> int:
    return line.position


def lines_snapshot(invoice: Invoice, lines=None) -> list[dict]:
    """``lines``: the invoice's lines in position order, when the caller
    has them already (the chain verifier prefetches them in bulk)."""
    if lines is None:
        lines = invoice.lines.order_by("position")
    return [_line_snapshot(line) for line in lines]


def _withholding(invoice: Invoice, lines: Sequence[InvoiceLine] | None = None) -> dict:
    """源泉徴収, when a line is subject to it (absent otherwise, as on
    invoices issued before withholding existed). Stored amounts without
    such a line are stated too, so that the content check notices them."""
    if lines is None:
        subject = invoice.lines.filter(withholding=True).exists()
    else:
        subject = any(line.withholding for line in lines)
    if not (invoice.withholding_base or invoice.withholding_tax or subject):
        return {}
    return {
        "withholding": {
            "kind": invoice.withholding_kind,
            "base": str(invoice.withholding_base),
            "tax": str(invoice.withholding_tax),
            "net_total": str(invoice.net_total),
        }
    }


def totals_snapshot(
    invoice: Invoice,
    lines: Sequence[InvoiceLine] | None = None,
    tax_summaries: Sequence[InvoiceTaxSummary] | None = None,
) -> dict:
    """``lines`` and ``tax_summaries``, when the caller has them already."""
    if tax_summaries is None:
        tax_summaries = invoice.tax_summaries.order_by("tax_category")
    else:
        tax_summaries = sorted(tax_summaries, key=lambda s: s.tax_category)
    return {
        **_withholding(invoice, lines),
        "subtotal": str(invoice.subtotal),
        "tax_total": str(invoice.tax_total),
        "total": str(invoice.total),
        "tax_summaries": [
            {
                "tax_category": s.tax_category,
                "rate": str(s.rate),
                "taxable_amount": str(s.taxable_amount),
                "tax_amount": str(s.tax_amount),
            }
            for s in tax_summaries
        ],
    }


def bank_account_snapshot(account: BankAccount | None) -> dict | None:
    """A payee account as an invoice names it (and as a payment notice and
    the treasury's choice of payee record it)."""
    if account is None:
        return None
    return {
        "bank_code": account.bank_code,
        "bank_name": account.bank_name,
        "branch_code": account.branch_code,
        "branch_name": account.branch_name,
        "account_type": account.account_type,
        "account_type_label": account.get_account_type_display(),
        "account_number": account.account_number,
        "holder_kana": account.holder_kana,
    }


def header_snapshot(invoice: Invoice) -> dict:
    """The invoice's own columns that are printed on it. The order number
    only when there is one, as the line notes (hashes of invoices issued
    before it existed stay what they were)."""
    order = {"order_number": invoice.order_number} if invoice.order_number else {}
    return {
        **order,
        "number": invoice.number,
        "receipt_number": invoice.receipt_number,
        "issue_date": _date(invoice.issue_date),
        "transaction_date": _date(invoice.transaction_date),
        "transaction_end_date": _date(invoice.transaction_end_date),
        "due_date": _date(invoice.due_date),
        "subject": invoice.subject,
        "notes": invoice.notes,
        "price_basis": invoice.price_basis,
    }


def invoice_snapshot(
    invoice: Invoice,
    *,
    bank_account: BankAccount | None,
    lines: Sequence[InvoiceLine] | None = None,
    tax_summaries: Sequence[InvoiceTaxSummary] | None = None,
) -> dict:
    """Everything printed on the invoice, as JSON values. Its lines and tax
    summaries are read, or taken from ``lines`` and ``tax_summaries``:
    rows not saved yet (``invoices.services.drafts.DraftRows``), in the
    form the database gives back."""
    supplier = invoice.supplier
    corrected = invoice.corrects
    return {
        **header_snapshot(invoice),
        "supplier": {
            "name": supplier.legal_name,
            "name_kana": supplier.name_kana,
            "legal_form": supplier.legal_form,
            "registration_number": supplier.registration_number,
            "corporate_number": supplier.corporate_number,
            "postal_code": supplier.postal_code,
            "address": supplier.address,
            "phone": supplier.phone,
            "tax_rounding": supplier.tax_rounding,
            "seal_image": supplier.seal_image.name if supplier.seal_image else "",
        },
        "addressee": {
            "municipality": invoice.municipality.name,
            "local_government_code": invoice.municipality.local_government_code,
            "department": invoice.department.name,
            "department_code": invoice.department.code,
        },
        "bank_account": bank_account_snapshot(bank_account),
        "corrects": {
            "number": corrected.number,
            "receipt_number": corrected.receipt_number,
            "issue_date": _date(corrected.issue_date),
        }
        if corrected
        else None,
        "lines": lines_snapshot(invoice)
        if lines is None
        else [_line_snapshot(line) for line in sorted(lines, key=_position)],
        **totals_snapshot(invoice, lines=lines, tax_summaries=tax_summaries),
    }


def content_hash(snapshot: dict) -> str:
    return sha256_hex(canonical_json(snapshot))


def invoice_content_problem(
    invoice: Invoice, lines=None, tax_summaries=None
) -> str | None:
    """Why an issued invoice's stored content no longer matches what was
    frozen at issue, or ``None``. ``lines`` (by position) and
    ``tax_summaries`` (by tax category) when the caller has them already."""
    if not invoice.content_hash:
        return None
    if content_hash(invoice.snapshot) != invoice.content_hash:
        return gettext("請求書 %(pk)s の記載内容が発行時のハッシュと一致しません。") % {
            "pk": invoice.pk
        }
    snapshot = invoice.snapshot
    header = header_snapshot(invoice)
    if {k: snapshot[k] for k in header} != header or snapshot.get(
        "order_number", ""
    ) != header.get("order_number", ""):
        return gettext(
            "請求書 %(pk)s の番号・日付・件名などが発行時の内容と一致しません。"
        ) % {"pk": invoice.pk}
    totals = totals_snapshot(invoice, lines, tax_summaries)
    if (
        snapshot["lines"] != lines_snapshot(invoice, lines)
        or {k: snapshot.get(k) for k in totals} != totals
    ):
        return gettext(
            "請求書 %(pk)s の明細または合計が発行時の内容と一致しません。"
        ) % {"pk": invoice.pk}
    return None
