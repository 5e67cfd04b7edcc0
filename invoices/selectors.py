"""Reads of invoices, explicit about whose they are.

Suppliers see their own invoices in every municipality. Department staff
see their departments' invoices; treasury and city administrators see the
whole municipality's, read-only. Drafts are the supplier's alone.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from invoices.models import Invoice, InvoiceStatus
from municipality.models import StaffRole
from municipality.tenancy import CityAccess
from partners.models import Supplier


def invoice_list_for_supplier(*, supplier: Supplier) -> QuerySet[Invoice]:
    return Invoice.objects.filter(supplier=supplier).select_related(
        "municipality", "department"
    )


def invoice_get_for_supplier(*, supplier: Supplier, pk: int) -> Invoice:
    return get_object_or_404(
        invoice_list_for_supplier(supplier=supplier).select_related(
            "supplier", "connection", "corrects"
        ),
        pk=pk,
    )


def invoice_list_for_access(*, access: CityAccess) -> QuerySet[Invoice]:
    """Issued invoices the staff member may see."""
    invoices = Invoice.objects.filter(municipality=access.municipality).exclude(
        status=InvoiceStatus.DRAFT
    )
    if not access.sees_all_departments:
        invoices = invoices.filter(department_id__in=access.department_ids)
    return invoices.select_related("supplier", "department")


def invoice_get_for_access(*, access: CityAccess, pk: int) -> Invoice:
    return get_object_or_404(
        invoice_list_for_access(access=access).select_related("corrects"), pk=pk
    )


def invoice_can_act(*, access: CityAccess, invoice: Invoice) -> bool:
    """Whether the staff member may return or approve the invoice: only the
    department's own staff (treasury and city admins read it only)."""
    return (
        access.has_role(StaffRole.DEPARTMENT)
        and invoice.department_id in access.department_ids
    )


def invoice_chain(invoice: Invoice) -> list[Invoice]:
    """The invoice with what it corrects and what corrects it, oldest first
    (original → correction → correction of the correction)."""
    chain = [invoice]
    while chain[0].corrects_id:
        chain.insert(0, chain[0].corrects)
    current = invoice
    while (
        nxt := current.corrections.exclude(status=InvoiceStatus.DRAFT)
        .order_by("pk")
        .first()
    ) is not None:
        chain.append(nxt)
        current = nxt
    return chain
