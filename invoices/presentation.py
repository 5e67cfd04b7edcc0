"""How an invoice reads on screen and paper: from its frozen snapshot once
issued, from its live rows while a draft."""

from datetime import date
from decimal import Decimal

from invoices.models import Invoice, TaxCategory, WithholdingKind
from invoices.snapshot import invoice_snapshot
from partners.models import BankAccount

RATE_LABELS = dict(TaxCategory.choices)
WITHHOLDING_LABELS = dict(WithholdingKind.choices)


def invoice_document(invoice: Invoice) -> dict:
    """The invoice as printed: parties, dates, lines, per-rate totals."""
    if invoice.is_draft:
        bank = BankAccount.objects.filter(
            supplier=invoice.supplier, is_default=True
        ).first()
        data = invoice_snapshot(invoice, bank_account=bank)
    else:
        data = dict(invoice.snapshot)
    data["lines"] = [
        {
            **line,
            "quantity": Decimal(line["quantity"]).normalize(),
            "unit_price": Decimal(line["unit_price"]).normalize(),
            "amount": Decimal(line["amount"]),
            "reduced": line["tax_category"] == TaxCategory.REDUCED,
            "tax_label": RATE_LABELS[line["tax_category"]],
            "withholding": line.get("withholding", False),
        }
        for line in data["lines"]
    ]
    order = TaxCategory.values
    data["tax_summaries"] = [
        {
            **row,
            "taxable_amount": Decimal(row["taxable_amount"]),
            "tax_amount": Decimal(row["tax_amount"]),
            "label": RATE_LABELS[row["tax_category"]],
        }
        for row in sorted(
            data["tax_summaries"], key=lambda r: order.index(r["tax_category"])
        )
    ]
    for key in ("subtotal", "tax_total", "total"):
        data[key] = Decimal(data[key])
    for key in ("issue_date", "transaction_date", "transaction_end_date", "due_date"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    if withholding := data.get("withholding"):
        data["withholding"] = {
            "kind": withholding["kind"],
            "label": WITHHOLDING_LABELS.get(withholding["kind"], withholding["kind"]),
            **{key: Decimal(withholding[key]) for key in ("base", "tax", "net_total")},
        }
    data["has_reduced"] = any(line["reduced"] for line in data["lines"])
    data["inclusive"] = data["price_basis"] == "inclusive"
    return data


def invoice_parties(invoice: Invoice) -> tuple[str, str, str, str]:
    """Supplier, registration number, municipality and department as printed
    on the invoice once issued (they may have changed since), else live."""
    if invoice.is_draft:
        return (
            invoice.supplier.legal_name,
            invoice.supplier.registration_number,
            invoice.municipality.name,
            invoice.department.name,
        )
    supplier, addressee = invoice.snapshot["supplier"], invoice.snapshot["addressee"]
    return (
        supplier["name"],
        supplier["registration_number"],
        addressee["municipality"],
        addressee["department"],
    )
