"""The city's and the supplier's actions on an issued invoice: opening and
viewing, return, approval, withdrawal, reminder.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.notifications import Notification
from invoices.audit import event_append
from invoices.duties import invoice_conflict_check, invoice_in_conflict
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceStatus,
    ReturnReason,
    ReturnSeverity,
)
from invoices.services.accounting import invoice_accounting_record
from invoices.services.notifications import invoice_notify
from invoices.signals import invoices_decided
from invoices.workflow import invoice_lock, invoice_transition
from municipality.models import BudgetCode
from municipality.selectors import staff_for_department
from partners.selectors import supplier_users_for

REMINDER_INTERVAL = timedelta(hours=24)


@transaction.atomic
def invoice_view_record(
    *, invoice: Invoice, actor: User, opens: bool = True
) -> Invoice:
    """Record that city staff looked at the invoice. The first look by the
    department's own staff (``opens``) opens it (開封); every other look —
    later ones, or treasury and administrators reading along — is logged
    as a view. A member of the issuing supplier may read it but never opens
    it (separation of duties): their look is logged as a view, and the
    invoice stays unopened for the department."""
    invoice = invoice_lock(invoice)
    if (
        invoice.status == InvoiceStatus.ISSUED
        and opens
        and not invoice_in_conflict(actor=actor, invoice=invoice)
    ):
        invoice = invoice_transition(
            invoice=invoice,
            to=InvoiceStatus.OPENED,
            actor=actor,
            opened_at=timezone.now(),
            opened_by=actor,
        )
        invoice_notify(
            invoice=invoice,
            event="opened",
            users=supplier_users_for(supplier=invoice.supplier),
        )
    elif not invoice.is_draft:
        event_append(invoice=invoice, kind=EventKind.VIEWED, actor=actor)
    return invoice


@transaction.atomic
def invoice_return(
    *,
    invoice: Invoice,
    actor: User,
    reason: ReturnReason,
    explanation: str,
    severity: ReturnSeverity,
) -> Invoice:
    """差戻し: the city refuses the invoice with a stated reason (支払遅延防止法
    6条2項). The invoice stays on record unchanged; the supplier is told.

    Raises ``DutyConflictError`` if ``actor`` belongs to the issuing
    supplier, ``ValidationError``, ``TransitionError``; nothing changes."""
    invoice_conflict_check(actor=actor, invoice=invoice)
    if not explanation.strip():
        raise ValidationError(
            {"explanation": gettext("差戻しの説明を入力してください。")}
        )
    invoice = invoice_view_record(invoice=invoice, actor=actor)
    invoice = invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.RETURNED,
        actor=actor,
        reason=explanation.strip(),
        data={"reason": reason, "severity": severity},
        returned_at=timezone.now(),
        return_reason=reason,
        return_explanation=explanation.strip(),
        return_severity=severity,
    )
    invoice_notify(
        invoice=invoice,
        event="returned",
        users=supplier_users_for(supplier=invoice.supplier),
    )
    invoices_decided.send(
        sender=Invoice, invoices=[invoice], status=InvoiceStatus.RETURNED
    )
    return invoice


@transaction.atomic
def invoice_approve(
    *,
    invoice: Invoice,
    actor: User,
    inspection_date: date,
    budget_code: BudgetCode | None = None,
) -> Invoice:
    """承認（検収）: the department accepts the invoice as proper, and its
    会計情報 is recorded for the treasury (``invoice_accounting_record``:
    the order's budget code, else ``budget_code``).

    Raises ``DutyConflictError`` if ``actor`` belongs to the issuing
    supplier, ``ValidationError``, ``TransitionError``; nothing changes."""
    invoice_conflict_check(actor=actor, invoice=invoice)
    if inspection_date > timezone.localdate():
        raise ValidationError(
            {"inspection_date": gettext("検収日に未来の日付は指定できません。")}
        )
    invoice = invoice_view_record(invoice=invoice, actor=actor)
    invoice = invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.APPROVED,
        actor=actor,
        data={"inspection_date": inspection_date.isoformat()},
        approved_at=timezone.now(),
        inspection_date=inspection_date,
    )
    invoice_accounting_record(invoice=invoice, actor=actor, budget_code=budget_code)
    invoice_notify(
        invoice=invoice,
        event="approved",
        users=supplier_users_for(supplier=invoice.supplier),
    )
    invoices_decided.send(
        sender=Invoice, invoices=[invoice], status=InvoiceStatus.APPROVED
    )
    return invoice


@transaction.atomic
def invoice_withdraw(*, invoice: Invoice, actor: User) -> Invoice:
    """取下げ by the supplier, only while nobody at the city has opened it."""
    return invoice_transition(
        invoice=invoice,
        to=InvoiceStatus.WITHDRAWN,
        actor=actor,
        withdrawn_at=timezone.now(),
    )


@transaction.atomic
def invoice_remind(*, invoice: Invoice, actor: User) -> Invoice:
    """催促: the supplier reminds the department of an unopened invoice, at
    most once a day."""
    invoice = invoice_lock(invoice)
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(gettext("催促できるのは未開封の請求書だけです。"))
    last = invoice.events.filter(kind=EventKind.REMINDED).aggregate(
        last=Max("created_at")
    )["last"]
    if last and timezone.now() - last < REMINDER_INTERVAL:
        raise ValidationError(
            gettext(
                "催促は1日に1回までです。前回の催促から24時間たってから送ってください。"
            )
        )
    event = event_append(invoice=invoice, kind=EventKind.REMINDED, actor=actor)
    invoice_notify(
        invoice=invoice,
        event="reminder",
        users=staff_for_department(department=invoice.department),
        kind=Notification.REMINDERS,
        key=f"invoice:{invoice.pk}:reminder:{event.pk}",
    )
    return invoice
