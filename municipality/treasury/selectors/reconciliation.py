"""Reconciliation of incoming payments (売掛金消込): the supplier's uploads
and their credits."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from municipality.models import (
    CreditOutcome,
    IncomingCredit,
    PaymentNotice,
    Reconciliation,
)
from partners.models import Supplier


def reconciliation_list_for_supplier(*, supplier: Supplier):
    """The supplier's uploads, newest first, with their credits counted by
    outcome."""

    def counted(outcome):
        return Count("credits", filter=Q(credits__outcome=outcome))

    return (
        Reconciliation.objects.filter(supplier=supplier)
        .select_related("created_by")
        .annotate(
            credit_count=Count("credits"),
            matched_count=counted(CreditOutcome.MATCHED),
            ambiguous_count=counted(CreditOutcome.AMBIGUOUS),
            unmatched_count=counted(CreditOutcome.UNMATCHED),
        )
        .order_by("-created_at", "-pk")
    )


def reconciliation_get_for_supplier(*, supplier: Supplier, pk: int):
    return get_object_or_404(Reconciliation.objects.filter(supplier=supplier), pk=pk)


def reconciliation_credits(*, reconciliation) -> list:
    """The upload's credits in file order, each with its notices (and their
    invoices) and, for an ambiguous one, ``option_notices``: a list of
    notice lists, one per option. A fixed number of queries."""
    credits = list(
        reconciliation.credits.prefetch_related(
            Prefetch(
                "notices",
                queryset=PaymentNotice.objects.select_related(
                    "batch", "municipality"
                ).prefetch_related("invoices"),
            )
        ).order_by("row", "pk")
    )
    ids = {i for credit in credits for option in credit.options for i in option}
    by_id = {
        notice.pk: notice
        for notice in PaymentNotice.objects.filter(
            pk__in=ids, supplier_id=reconciliation.supplier_id
        ).select_related("batch", "municipality")
    }
    for credit in credits:
        credit.option_notices = [
            [by_id[i] for i in option if i in by_id] for option in credit.options
        ]
    return credits


def reconciliation_credit_get(*, reconciliation, pk: int):
    return get_object_or_404(
        IncomingCredit.objects.filter(
            reconciliation=reconciliation, supplier_id=reconciliation.supplier_id
        ),
        pk=pk,
    )
