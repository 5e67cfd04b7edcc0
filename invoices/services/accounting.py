"""The accounting record (``municipality.InvoiceAccounting``) written when
an invoice is approved."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from accounts.models import User
from invoices.accounting import (
    accounting_defaults,
    budget_code_problem,
    fiscal_year_of_invoice,
)
from invoices.models import Invoice
from municipality.models import BudgetCode, InvoiceAccounting


def invoice_accounting_record(
    *, invoice: Invoice, actor: User, budget_code: BudgetCode | None = None
) -> InvoiceAccounting:
    """Write the approved invoice's 会計情報. An invoice that bills an
    order takes the order's 会計年度, 予算科目 and 支出負担行為番号 and
    its deliveries' latest 検収日 (``budget_code`` must then be None: the
    order's is carried). Any other invoice takes the 会計年度 of its
    transaction date, the approver's 検収日 and ``budget_code`` (an active
    code of that year of the municipality, or none). Raises
    ``ValidationError``; the caller's transaction then saves nothing."""
    defaults = accounting_defaults(invoice)
    if defaults is not None:
        if budget_code is not None and budget_code != defaults.budget_code:
            raise ValidationError(
                {
                    "budget_code": gettext(
                        "発注のある請求書は発注の予算科目を引き継ぐため、"
                        "予算科目を選べません。"
                    )
                }
            )
        values = {
            "fiscal_year": defaults.fiscal_year,
            "budget_code": defaults.budget_code,
            "commitment_number": defaults.commitment_number,
            "inspected_on": defaults.inspected_on or invoice.inspection_date,
        }
    else:
        fiscal_year = fiscal_year_of_invoice(invoice)
        if budget_code is not None and (
            problem := budget_code_problem(
                invoice=invoice, fiscal_year=fiscal_year, budget_code=budget_code
            )
        ):
            raise ValidationError({"budget_code": problem})
        values = {
            "fiscal_year": fiscal_year,
            "budget_code": budget_code,
            "commitment_number": "",
            "inspected_on": invoice.inspection_date,
        }
    record, _created = InvoiceAccounting.objects.update_or_create(
        invoice=invoice,
        defaults={
            **values,
            "municipality_id": invoice.municipality_id,
            "updated_by": actor,
        },
    )
    return record
