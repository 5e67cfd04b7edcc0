"""Separation of duties (職務の分離): nobody takes the city's side of an
invoice issued by a supplier they belong to (DESIGN.md: nobody approves,
pays or inspects what they issued).

A user belongs to a supplier when they hold a ``SupplierMembership`` of it,
in any role; membership is global, so the rule holds in every municipality.
Such a user may still read the invoice (they can read it in the supplier
portal anyway), but may not open, return or approve it, put it in a payment
batch, approve a batch holding it, export that batch or mark it paid.

The services call the checks here before they write; ``invoices.workflow``
checks the city's status moves again, so a future writer that forgets the
service check still cannot move such an invoice.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from accounts.models import User
from invoices.models import Invoice, InvoiceStatus
from municipality.models import Municipality
from partners.models import SupplierMembership


class DutyConflictError(ValidationError):
    """The actor belongs to the supplier that issued the invoice. A
    ``ValidationError``, so every caller that shows a service's refusal
    shows this one too."""


def supplier_ids_of(user: User | None) -> frozenset[int]:
    """The suppliers ``user`` belongs to (any role); empty for no user
    (a management command run by an operator)."""
    if user is None or user.pk is None:
        return frozenset()
    return frozenset(
        SupplierMembership.objects.filter(user_id=user.pk).values_list(
            "supplier_id", flat=True
        )
    )


def invoice_in_conflict(*, actor: User | None, invoice: Invoice) -> bool:
    """Whether ``actor`` belongs to the supplier that issued ``invoice``."""
    if actor is None or actor.pk is None:
        return False
    return SupplierMembership.objects.filter(
        user_id=actor.pk, supplier_id=invoice.supplier_id
    ).exists()


def invoices_in_conflict(
    *, actor: User | None, invoices: Iterable[Invoice]
) -> list[Invoice]:
    """Those of ``invoices`` issued by a supplier ``actor`` belongs to, in
    one query whatever their number."""
    supplier_ids = supplier_ids_of(actor)
    if not supplier_ids:
        return []
    return [invoice for invoice in invoices if invoice.supplier_id in supplier_ids]


def invoice_conflict_message(invoice: Invoice) -> str:
    """Why a department's staff member may not decide on ``invoice``."""
    return gettext(
        "あなたはこの請求書の発行元（取引先 %(supplier)s）に所属しているため、"
        "開封・差戻し・承認はできません。宛先部署の別の職員に対応を依頼してください。"
    ) % {"supplier": invoice.supplier.legal_name}


def invoice_move_conflict_message(invoice: Invoice, to: str) -> str:
    """Why nobody of the issuing supplier may move ``invoice`` to ``to``."""
    return gettext(
        "あなたは請求書 %(number)s の発行元（取引先 %(supplier)s）に所属しているため、"
        "この請求書を「%(status)s」にできません。別の職員に依頼してください。"
    ) % {
        "number": invoice.number,
        "supplier": invoice.supplier.legal_name,
        "status": InvoiceStatus(to).label,
    }


def invoice_conflict_check(*, actor: User | None, invoice: Invoice) -> None:
    """Raise ``DutyConflictError`` if ``actor`` belongs to the supplier
    that issued ``invoice``."""
    if invoice_in_conflict(actor=actor, invoice=invoice):
        raise DutyConflictError(invoice_conflict_message(invoice))


def staff_supplier_conflicts(*, municipality: Municipality) -> dict[int, list[str]]:
    """Staff of ``municipality`` who also belong to a supplier connected
    to it: user id → the suppliers' names, in one query."""
    rows = (
        SupplierMembership.objects.filter(
            user__staff_memberships__municipality=municipality,
            supplier__connections__municipality=municipality,
        )
        .values_list("user_id", "supplier__legal_name")
        .distinct()
        .order_by("user_id", "supplier__legal_name")
    )
    conflicts: dict[int, list[str]] = {}
    for user_id, name in rows:
        conflicts.setdefault(user_id, []).append(name)
    return conflicts
