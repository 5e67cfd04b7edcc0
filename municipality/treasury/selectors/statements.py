"""Withholding income tax (支払調書): the paid invoices subject to
withholding and the year's summary per payee and kind of fee."""

from dataclasses import dataclass

from invoices.models import Invoice, InvoiceStatus, WithholdingKind
from invoices.withholding import FILING_THRESHOLD
from municipality.models import BatchStatus, Municipality
from partners.models import Supplier


def withholding_paid_invoices(*, municipality: Municipality, year: int):
    """The municipality's paid invoices with lines subject to withholding
    (源泉徴収), paid in calendar ``year`` (by the payment date of the paid
    batch), by payee."""
    return (
        Invoice.objects.filter(
            municipality=municipality,
            status=InvoiceStatus.PAID,
            withholding_base__gt=0,
            payment_notices__batch__status=BatchStatus.PAID,
            payment_notices__batch__payment_date__year=year,
        )
        .select_related("supplier")
        .distinct()
        .order_by("supplier__name_kana", "supplier_id", "pk")
    )


@dataclass(frozen=True)
class StatementRow:
    """One payee and kind of fee of a year's 支払調書 summary: what was paid
    (支払金額, tax-exclusive, the base of the withholding) and withheld.
    ``payee_amount`` is the payee's 支払金額 over every kind; above
    ``FILING_THRESHOLD`` the city files a 支払調書 for the payee."""

    supplier: Supplier
    kind: str
    amount: int
    withholding_tax: int
    invoice_count: int
    payee_amount: int

    @property
    def kind_label(self) -> str:
        return WithholdingKind(self.kind).label

    @property
    def must_file(self) -> bool:
        return self.payee_amount > FILING_THRESHOLD


def withholding_statement_rows(invoices) -> list[StatementRow]:
    """``invoices`` (``withholding_paid_invoices``) summed per payee and
    kind, payees in kana order, kinds in their fixed order."""
    groups: dict[tuple[int, str], list[Invoice]] = {}
    suppliers: dict[int, Supplier] = {}
    for invoice in invoices:
        suppliers[invoice.supplier_id] = invoice.supplier
        groups.setdefault((invoice.supplier_id, invoice.withholding_kind), []).append(
            invoice
        )
    payee_amounts: dict[int, int] = {}
    for (supplier_id, _kind), members in groups.items():
        payee_amounts[supplier_id] = payee_amounts.get(supplier_id, 0) + int(
            sum(invoice.withholding_base for invoice in members)
        )
    order = WithholdingKind.values
    return [
        StatementRow(
            supplier=suppliers[supplier_id],
            kind=kind,
            amount=int(sum(invoice.withholding_base for invoice in members)),
            withholding_tax=int(sum(invoice.withholding_tax for invoice in members)),
            invoice_count=len(members),
            payee_amount=payee_amounts[supplier_id],
        )
        for (supplier_id, kind), members in sorted(
            groups.items(),
            key=lambda item: (
                suppliers[item[0][0]].name_kana,
                item[0][0],
                order.index(item[0][1]),
            ),
        )
    ]
