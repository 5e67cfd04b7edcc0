"""Reads of invoices, explicit about whose they are.

Suppliers see their own invoices in every municipality. Department staff
see their departments' invoices; treasury and city administrators see the
whole municipality's, read-only. Drafts are the supplier's alone.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from invoices.models import Invoice, InvoiceEvent, InvoiceStatus, ZipExport
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


# ZIP exports: each belongs to the user who asked for it, in the area
# (municipality or supplier) they asked from. A supplier's has no
# municipality, so the tenant scope is lifted and the owner is the filter.


def _listing(invoice: Invoice) -> Q:
    """Events that list ``invoice`` in ``data["invoices"]`` (a streamed
    export's chunks), served on PostgreSQL by ``invoice_event_listed_idx``
    (whose condition is the ``has_key``: no ``invoice_id IS NULL`` for the
    planner to prefer, which would read every chunk's list); SQLite has no
    JSON containment, so it looks through the lists."""
    if connection.vendor == "postgresql":
        return Q(data__has_key="invoices", data__invoices__contains=[invoice.pk])
    listed = RawSQL(
        "EXISTS (SELECT 1 FROM json_each(data, '$.invoices') WHERE value = %s)",
        [invoice.pk],
        output_field=BooleanField(),
    )
    return Q(listed, invoice=None)


def invoice_events(invoice: Invoice) -> QuerySet[InvoiceEvent]:
    """The invoice's history (履歴), in chain order: its own events and the
    export chunks that list it, in one query."""
    return (
        InvoiceEvent.objects.filter(
            Q(invoice=invoice)
            | Q(_listing(invoice), municipality=invoice.municipality_id)
        )
        .select_related("actor")
        .order_by("pk")
    )


def _zip_exports_for_access(*, access: CityAccess, user: User) -> QuerySet[ZipExport]:
    return ZipExport.objects.filter(municipality=access.municipality, created_by=user)


def _zip_exports_for_supplier(*, supplier: Supplier, user: User) -> QuerySet[ZipExport]:
    return ZipExport.objects.with_scopes_disabled().filter(
        supplier=supplier, municipality__isnull=True, created_by=user
    )


def zip_export_get_for_access(*, access: CityAccess, user: User, pk: int) -> ZipExport:
    """The staff member's own ZIP export in this municipality, while they
    may still see every invoice in it (a department taken away since
    takes its invoices' ZIP with it)."""
    job = get_object_or_404(_zip_exports_for_access(access=access, user=user), pk=pk)
    visible = invoice_list_for_access(access=access).values("pk")
    if Invoice.objects.filter(pk__in=job.invoice_ids).exclude(pk__in=visible).exists():
        raise Http404
    return job


def zip_export_get_for_supplier(
    *, supplier: Supplier, user: User, pk: int
) -> ZipExport:
    """The member's own ZIP export of their supplier's invoices."""
    return get_object_or_404(
        _zip_exports_for_supplier(supplier=supplier, user=user), pk=pk
    )


def zip_export_list_recent_for_access(
    *, access: CityAccess, user: User
) -> QuerySet[ZipExport]:
    """The staff member's ZIP exports here of the last days, newest first."""
    since = timezone.now() - timedelta(days=settings.INVOICE_ZIP_KEEP_DAYS)
    return _zip_exports_for_access(access=access, user=user).filter(
        created_at__gte=since
    )


def zip_export_list_recent_for_supplier(
    *, supplier: Supplier, user: User
) -> QuerySet[ZipExport]:
    """The member's ZIP exports of the last days, newest first."""
    since = timezone.now() - timedelta(days=settings.INVOICE_ZIP_KEEP_DAYS)
    return _zip_exports_for_supplier(supplier=supplier, user=user).filter(
        created_at__gte=since
    )
