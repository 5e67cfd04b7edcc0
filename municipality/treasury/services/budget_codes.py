"""予算科目の指定: the treasury names (or changes) the budget code of an
approved invoice that bills no order, before it is put in a batch. An
invoice that bills an order carries the order's code (set at approval)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from invoices.accounting import (
    accounting_defaults,
    budget_code_problem,
    fiscal_year_of_invoice,
)
from invoices.models import Invoice, InvoiceStatus
from invoices.workflow import invoice_lock
from municipality.models import BudgetCode, InvoiceAccounting, PaymentBatchItem


@transaction.atomic
def invoice_budget_code_set(
    *, invoice: Invoice, budget_code: BudgetCode | None, actor: User
) -> InvoiceAccounting:
    """Name ``budget_code`` (None: no code) in the approved invoice's
    accounting record (created for one approved before records were kept).
    Raises ``ValidationError`` with the reason; nothing changes then."""
    invoice = invoice_lock(invoice)
    params = {"number": invoice.number, "receipt": invoice.receipt_number}
    if invoice.status != InvoiceStatus.APPROVED:
        raise ValidationError(
            gettext(
                "請求書 %(number)s（受付番号 %(receipt)s）は「%(status)s」のため、"
                "予算科目を変えられません。予算科目は承認済で支払バッチに入れる前の"
                "請求書だけに指定できます。"
            )
            % {**params, "status": invoice.get_status_display()}
        )
    if PaymentBatchItem.objects.filter(invoice=invoice, active=True).exists():
        raise ValidationError(
            gettext(
                "請求書 %(number)s（受付番号 %(receipt)s）は支払バッチに"
                "入っているため、予算科目を変えられません。バッチから外してから指定してください。"
            )
            % params
        )
    if accounting_defaults(invoice) is not None:
        raise ValidationError(
            gettext(
                "請求書 %(number)s（受付番号 %(receipt)s）は発注の請求書のため、"
                "予算科目は発注のものを引き継いでいます。変えるときは発注の予算科目を"
                "確かめてください。"
            )
            % params
        )
    record = InvoiceAccounting.objects.filter(invoice=invoice).first()
    fiscal_year = record.fiscal_year if record else fiscal_year_of_invoice(invoice)
    if budget_code is not None and (
        problem := budget_code_problem(
            invoice=invoice, fiscal_year=fiscal_year, budget_code=budget_code
        )
    ):
        raise ValidationError({"budget_code": problem})
    if record is None:
        record = InvoiceAccounting(
            invoice=invoice,
            municipality_id=invoice.municipality_id,
            fiscal_year=fiscal_year,
            inspected_on=invoice.inspection_date,
        )
    record.budget_code = budget_code
    record.updated_by = actor
    record.save()
    return record
