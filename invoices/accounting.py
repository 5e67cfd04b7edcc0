"""The accounting facts an approved invoice carries to the treasury (its
``municipality.InvoiceAccounting``): where they come from, and which
budget code may be named. Written by ``invoices.services.accounting``."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext

from invoices.models import Invoice
from invoices.signals import invoice_accounting_defaults
from municipality.fiscal import fiscal_year_of
from municipality.models import BudgetCode


@dataclass(frozen=True)
class AccountingDefaults:
    """What the order an invoice bills decides: its 会計年度 (also when the
    invoice is paid in the 出納整理期間), 予算科目 and 支出負担行為番号, and
    the latest 検収日 of the deliveries the invoice bills (None if none)."""

    fiscal_year: int
    budget_code: BudgetCode | None
    commitment_number: str
    inspected_on: date | None


def accounting_defaults(invoice: Invoice) -> AccountingDefaults | None:
    """The order's accounting facts for the invoice, or None when it bills
    no order."""
    for _receiver, answer in invoice_accounting_defaults.send(
        sender=Invoice, invoice=invoice
    ):
        if answer is not None:
            return answer
    return None


def fiscal_year_of_invoice(invoice: Invoice) -> int:
    """The 会計年度 of an invoice without an order: that of the end of the
    period it bills (its transaction date)."""
    return fiscal_year_of(invoice.transaction_end_date or invoice.transaction_date)


def budget_code_problem(
    *, invoice: Invoice, fiscal_year: int, budget_code: BudgetCode
) -> str:
    """Why ``budget_code`` cannot be named for the invoice, or ""."""
    if budget_code.municipality_id != invoice.municipality_id:
        # Another city's code: as if it did not exist.
        return gettext(
            "選んだ予算科目が見つかりません。画面を更新して選び直してください。"
        )
    if budget_code.fiscal_year != fiscal_year or not budget_code.is_active:
        return gettext(
            "予算科目は %(year)s 年度の有効なものから選んでください"
            "（選んだのは %(chosen)s 年度の %(code)s）。"
        ) % {
            "year": fiscal_year,
            "chosen": budget_code.fiscal_year,
            "code": budget_code.code,
        }
    return ""
