"""The API's request and response bodies (OpenAPI components)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema


class ErrorItem(Schema):
    field: str | None = None
    message: str


class ErrorOut(Schema):
    """Every refusal: a summary and, for bad input, one item per field
    (``lines.2.quantity``), in Japanese as on the screens."""

    message: str
    errors: list[ErrorItem] = []


class DepartmentOut(Schema):
    """A department the supplier may invoice (宛先): ``id`` is what an
    invoice names as its ``department``."""

    id: int
    municipality: str
    municipality_slug: str
    code: str
    name: str


class BankAccountOut(Schema):
    id: int
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_number: str
    holder_kana: str
    is_default: bool


class LineIn(Schema):
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_category: str = "S"
    unit: str = ""
    note: str = ""
    withholding: bool = False


class InvoiceIn(Schema):
    """A new invoice, as on the entry screen. ``issue``: issue it at once
    (needs a key with the 発行 scope) to the ``bank_account`` given, else to
    the default account."""

    department: int
    number: str
    issue_date: date
    transaction_date: date
    transaction_end_date: date | None = None
    due_date: date | None = None
    subject: str = ""
    # 注文番号 (支出負担行為番号): the city's order this invoice bills.
    order_number: str = ""
    notes: str = ""
    price_basis: str = "exclusive"
    withholding_kind: str = ""
    lines: list[LineIn]
    issue: bool = False
    bank_account: int | None = None


class IssueIn(Schema):
    bank_account: int | None = None


class LineOut(Schema):
    position: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    tax_category: str
    amount: Decimal
    note: str
    withholding: bool


class TaxSummaryOut(Schema):
    tax_category: str
    taxable_amount: Decimal
    tax_amount: Decimal


class InvoiceSummaryOut(Schema):
    id: int
    number: str
    receipt_number: str
    status: str
    status_label: str
    municipality: str
    department: str
    issue_date: date
    total: int
    withholding_tax: int
    received_at: datetime | None
    url: str


class InvoiceOut(InvoiceSummaryOut):
    transaction_date: date
    transaction_end_date: date | None
    due_date: date | None
    subject: str
    order_number: str
    notes: str
    price_basis: str
    subtotal: int
    tax_total: int
    return_reason: str
    corrects: int | None
    lines: list[LineOut]
    tax_summaries: list[TaxSummaryOut]
    pdf_url: str | None
    xml_url: str | None


class InvoicePage(Schema):
    """One page, newest first; ``next`` is the URL of the next page, or
    ``null`` on the last."""

    items: list[InvoiceSummaryOut]
    next: str | None


class EventOut(Schema):
    kind: str
    label: str
    from_status: str
    to_status: str
    reason: str
    actor: str
    at: datetime
