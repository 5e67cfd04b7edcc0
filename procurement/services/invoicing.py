"""Invoices drafted from inspected deliveries (月締め): the supplier picks
accepted deliveries of one order and the portal drafts the qualified
invoice through the invoices app's own draft service — lines from the
accepted quantities and the order's unit prices, tax once per rate, the
order's number as its 注文番号 and each line's delivery note (納品書番号).
The supplier reviews and issues it like any other invoice."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from accounts.models import User
from invoices.models import Invoice, InvoiceStatus
from invoices.services.drafts import LineInput, invoice_draft_save
from partners.models import Supplier
from procurement.models import Delivery, DeliveryStatus, InvoiceOrder, Order

# A delivery billed by an invoice that was returned or withdrawn may be
# billed again.
REBILLABLE = (InvoiceStatus.RETURNED, InvoiceStatus.WITHDRAWN)


def deliveries_billable(*, order: Order) -> QuerySet[Delivery]:
    """The order's accepted deliveries not yet on a live invoice."""
    return (
        Delivery.objects.filter(order=order, status=DeliveryStatus.ACCEPTED)
        .filter(Q(invoice__isnull=True) | Q(invoice__status__in=REBILLABLE))
        .prefetch_related("lines__order_line")
        .order_by("delivered_on", "pk")
    )


@transaction.atomic
def invoice_draft_from_deliveries(
    *,
    order: Order,
    supplier: Supplier,
    actor: User,
    delivery_ids: list[int],
    number: str,
    issue_date: date,
) -> Invoice:
    """The draft invoice for the chosen deliveries. Raises
    ``ValidationError`` (nothing is saved) when none is chosen or one is
    not billable any more."""
    if order.supplier_id != supplier.pk:
        raise ValidationError(gettext("この発注の請求書は作成できません。"))
    chosen = list(
        deliveries_billable(order=order)
        .select_for_update(of=("self",))
        .filter(pk__in=delivery_ids)
    )
    if not chosen:
        raise ValidationError(gettext("請求する納品を1件以上選んでください。"))
    if len(chosen) != len(set(delivery_ids)):
        raise ValidationError(
            gettext(
                "選んだ納品の中に、検収済みでないか、すでに請求書にしたものがあります。"
                "画面を更新して選び直してください。"
            )
        )
    lines = [
        LineInput(
            description=line.order_line.description,
            quantity=line.accepted_quantity,
            unit=line.order_line.unit,
            unit_price=line.order_line.unit_price,
            tax_category=line.order_line.tax_category,
            note=gettext("納品書 %(number)s（%(date)s納品）")
            % {"number": delivery.number, "date": delivery.delivered_on},
            delivery_number=delivery.number,
        )
        for delivery in chosen
        for line in delivery.lines.all()
        if line.accepted_quantity
    ]
    if not lines:
        raise ValidationError(gettext("選んだ納品に検収された数量がありません。"))
    first = min(d.delivered_on for d in chosen)
    last = max(d.delivered_on for d in chosen)
    notes = gettext("納品書番号: %(deliveries)s") % {
        "deliveries": "、".join(d.number for d in chosen)
    }
    invoice = invoice_draft_save(
        supplier=supplier,
        actor=actor,
        connection=order.connection,
        fields={
            "number": number,
            "issue_date": issue_date,
            "transaction_date": first,
            "transaction_end_date": last if last != first else None,
            "subject": order.subject,
            "order_number": order.number,
            "notes": notes,
        },
        lines=lines,
    )
    InvoiceOrder.objects.create(
        municipality_id=order.municipality_id, invoice=invoice, order=order
    )
    Delivery.objects.filter(pk__in=[d.pk for d in chosen]).update(invoice=invoice)
    return invoice
