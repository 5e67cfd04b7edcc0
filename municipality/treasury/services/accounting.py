"""The 財務会計 CSV: a batch's invoices for the city's accounting system."""

import csv
import io
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from accounts.spreadsheets import csv_cell
from invoices.accounting import fiscal_year_of_invoice
from invoices.audit import events_append
from invoices.models import EventKind, Invoice, TaxCategory
from municipality.models import BatchStatus, PaymentBatch
from municipality.treasury.selectors.batches import batch_invoices
from municipality.treasury.services.settings import treasury_settings_require
from municipality.treasury.workflow import batch_status_error

# Column names the city's accounting system imports: a file format, not
# translated.
ACCOUNTING_CSV_HEADER = (
    "受付番号",
    "部署コード",
    "部署名",
    "取引先名",
    "支払先コード",
    "登録番号",
    "請求日",
    "取引日",
    "10%対象",
    "10%税額",
    "8%対象",
    "8%税額",
    "非課税等",
    "請求金額",
    "支払日",
    "バッチ番号",
    # Added at the end, so that imports reading the columns above by
    # position keep working.
    "源泉徴収税額",
    "差引支払額",
    # 会計情報 (issue 16), after those for the same reason.
    "会計年度",
    "予算科目コード",
    "予算科目名",
    "支出負担行為番号",
    "検収日",
    "請求書受付日",
)
# The day the city received an invoice is a day in Japan.
JAPAN = ZoneInfo("Asia/Tokyo")
_NOT_TAXED = (TaxCategory.EXEMPT, TaxCategory.OUT_OF_SCOPE, TaxCategory.EXPORT)


def _accounting_facts(invoice: Invoice) -> list:
    """会計年度, 予算科目, 支出負担行為番号, 検収日 and 請求書受付日 (the day the
    city received it, in Japan). An invoice approved before accounting
    records were kept has the 会計年度 of its transaction date and the
    検収日 given at approval."""
    record = getattr(invoice, "accounting", None)
    code = record.budget_code if record else None
    received = invoice.received_at
    return [
        record.fiscal_year if record else fiscal_year_of_invoice(invoice),
        code.code if code else "",
        code.name if code else "",
        record.commitment_number if record else "",
        (record.inspected_on if record else invoice.inspection_date) or "",
        received.astimezone(JAPAN).date() if received else "",
    ]


def _accounting_row(invoice: Invoice, batch: PaymentBatch) -> list[str]:
    taxes = {s.tax_category: s for s in invoice.tax_summaries.all()}
    standard, reduced = taxes.get(TaxCategory.STANDARD), taxes.get(TaxCategory.REDUCED)
    not_taxed = [taxes[c].taxable_amount for c in _NOT_TAXED if c in taxes]
    supplier, addressee = invoice.snapshot["supplier"], invoice.snapshot["addressee"]
    values = [
        invoice.receipt_number,
        addressee["department_code"],
        addressee["department"],
        supplier["name"],
        invoice.connection.payee_code,
        supplier["registration_number"],
        invoice.issue_date,
        invoice.transaction_date,
        standard.taxable_amount if standard else 0,
        standard.tax_amount if standard else 0,
        reduced.taxable_amount if reduced else 0,
        reduced.tax_amount if reduced else 0,
        sum(not_taxed, 0),
        invoice.total,
        batch.payment_date,
        batch.number,
        invoice.withholding_tax,
        invoice.net_total,
        *_accounting_facts(invoice),
    ]
    return [csv_cell(value) for value in values]


def batch_accounting_csv(*, batch: PaymentBatch, actor: User) -> bytes:
    """The batch for the city's 財務会計 system: one row per invoice, in the
    encoding of the treasury settings, recorded in each invoice's history.
    A character the encoding lacks becomes ``?`` rather than failing."""
    if batch.status == BatchStatus.CANCELLED:
        raise batch_status_error(
            batch,
            gettext(
                "支払バッチ %(number)s は「%(status)s」のため、"
                "財務会計CSVを出力できません。画面を更新して状態を確認してください。"
            ),
        )
    settings = treasury_settings_require(batch.municipality)
    invoices = list(batch_invoices(batch=batch))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ACCOUNTING_CSV_HEADER)
    writer.writerows(_accounting_row(invoice, batch) for invoice in invoices)
    with transaction.atomic():
        events_append(
            invoices=invoices,
            kind=EventKind.EXPORTED,
            actor=actor,
            data={"format": "accounting_csv", "batch": batch.number},
        )
    return out.getvalue().encode(settings.csv_encoding, errors="replace")
