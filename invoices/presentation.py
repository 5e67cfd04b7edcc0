"""How an invoice reads on screen and paper: from its frozen snapshot once
issued, from its live rows while a draft."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from invoices.filters import deadline_alert
from invoices.models import Invoice, InvoiceStatus, TaxCategory, WithholdingKind
from invoices.snapshot import invoice_snapshot
from invoices.templatetags.invoice_tags import yen
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


@dataclass(frozen=True)
class InboxRow:
    """One row of the inbox, its display values worked out once in Python:
    a template tag or filter per cell and row (dates, URLs, translations)
    cost more than the page's SQL at 50 rows."""

    invoice: Invoice
    url: str
    unopened: bool
    status: str
    received: str
    transaction_dates: str
    total: str
    deadline: str
    alert: str
    approvable: bool
    select_label: str


# The columns the inbox's rows and the keys of its page links read
# (``invoices.filters.SORTS``): the list loads these alone, since building
# every column of 50 invoices and their parties costs as much as the query.
INBOX_COLUMNS = (
    "number",
    "subject",
    "status",
    "unopened",
    "received_at",
    "transaction_date",
    "transaction_end_date",
    "total",
    "payment_deadline",
    "department__name",
    "supplier__legal_name",
    "supplier__registration_number",
    "supplier__name_kana",
)


def _ymd(day: date | None) -> str:
    return day.strftime("%Y/%m/%d") if day else ""


def inbox_rows(invoices, *, access, today: date) -> list[InboxRow]:
    """The inbox's rows for the staff member with ``access``."""
    statuses = dict(InvoiceStatus.choices)
    slug = access.municipality.slug
    rows = []
    for invoice in invoices:
        dates = _ymd(invoice.transaction_date)
        if invoice.transaction_end_date:
            dates += gettext("〜") + _ymd(invoice.transaction_end_date)
        approvable = (
            invoice.status == InvoiceStatus.OPENED
            and invoice.department_id in access.department_ids
        )
        rows.append(
            InboxRow(
                invoice=invoice,
                url=reverse(
                    "city:invoice", kwargs={"municipality_slug": slug, "pk": invoice.pk}
                ),
                unopened=invoice.status == InvoiceStatus.ISSUED,
                status=statuses[invoice.status],
                received=timezone.localtime(invoice.received_at).strftime(
                    "%Y/%m/%d %H:%M"
                )
                if invoice.received_at
                else "",
                transaction_dates=dates,
                total=yen(invoice.total),
                deadline=_ymd(invoice.payment_deadline),
                alert=deadline_alert(invoice, today=today),
                approvable=approvable,
                select_label=gettext("%(supplier)s の請求書 %(number)s を選ぶ")
                % {"supplier": invoice.supplier.legal_name, "number": invoice.number}
                if approvable
                else "",
            )
        )
    return rows
