"""振込先の指定: the treasury pays an approved invoice to one of its
supplier's current accounts, with a stated reason, when the account the
invoice names was changed or removed since issue, or it names none.

The invoice's frozen snapshot is never changed: the choice is a
``PayeeChoice`` row, an invoice event, and a mail to the supplier's owners
telling them which account the city will pay to. The batch services refuse
an invoice whose payee is still flagged (``payee_problems``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.emails import email_send_template
from accounts.models import User
from invoices.audit import event_append
from invoices.duties import DutyConflictError, invoice_in_conflict
from invoices.models import EventKind, Invoice, InvoiceStatus
from invoices.snapshot import bank_account_snapshot
from invoices.workflow import invoice_lock
from municipality.models import BatchStatus, PayeeChoice, PaymentBatchItem
from municipality.treasury.selectors.payees import (
    RECENT_CHANGE,
    Payee,
    PayeeProblem,
    payees_of,
)
from partners.models import BankAccount, Supplier
from partners.selectors import supplier_owner_emails
from partners.services.bank_accounts import bank_account_masked_label

# Marked here, translated where raised (tests compare the Japanese text).
REASON_REQUIRED = gettext_noop(
    "この口座に振り込む理由を入力してください"
    "（例: 取引先に電話で口座の変更を確認した）。"
)


def _params(invoice: Invoice) -> dict:
    return {"number": invoice.number, "receipt": invoice.receipt_number}


def payee_problem_message(*, invoice: Invoice, payee: Payee) -> str:
    """Why ``invoice`` cannot be paid by transfer yet, and what to do."""
    if payee.problem == PayeeProblem.NONE_NAMED:
        return gettext(
            "請求書 %(number)s（受付番号 %(receipt)s）には振込先口座の記載がないため、"
            "振込データに入れられません。取引先が口座を登録していれば、支払対象の一覧の"
            "「振込先を指定」でその口座を選んでください。登録がなければ、取引先に登録を"
            "依頼するか、別の方法（窓口払など）で支払ってください。"
        ) % _params(invoice)
    return gettext(
        "請求書 %(number)s（受付番号 %(receipt)s）の振込先口座は、その後取引先が"
        "変更または削除しました。支払対象の一覧の「振込先を指定」で、取引先の現在の"
        "口座を選んでください（承認済のバッチに入っている場合は、バッチを取り消して"
        "から指定してください）。"
    ) % _params(invoice)


def payee_problems(invoices) -> list[str]:
    """A message for each of ``invoices`` whose payee is flagged."""
    invoices = list(invoices)
    payees = payees_of(invoices)
    return [
        payee_problem_message(invoice=invoice, payee=payees[invoice.pk])
        for invoice in invoices
        if payees[invoice.pk].flagged
    ]


def payee_choice_check(*, invoice: Invoice, actor: User) -> Payee:
    """Raise unless ``actor`` may choose ``invoice``'s payee now; the
    confirmation step asks only what ``payee_choose`` would accept."""
    if invoice_in_conflict(actor=actor, invoice=invoice):
        raise DutyConflictError(
            gettext(
                "あなたはこの請求書の発行元（取引先 %(supplier)s）に所属しているため、"
                "振込先を指定できません（職務の分離）。別の会計担当者に依頼してください。"
            )
            % {"supplier": invoice.supplier.legal_name}
        )
    if invoice.status != InvoiceStatus.APPROVED:
        raise ValidationError(
            gettext(
                "請求書 %(number)s は「%(status)s」です。振込先を指定できるのは、"
                "支払前の承認済の請求書だけです。"
            )
            % {"number": invoice.number, "status": invoice.get_status_display()}
        )
    item = (
        PaymentBatchItem.objects.filter(invoice=invoice, active=True)
        .exclude(batch__status=BatchStatus.DRAFT)
        .select_related("batch")
        .first()
    )
    if item is not None:
        raise ValidationError(
            gettext(
                "請求書 %(number)s は支払バッチ %(batch)s（%(status)s）に"
                "入っているため、振込先を指定できません。"
                "バッチを取り消してから指定してください。"
            )
            % {
                "number": invoice.number,
                "batch": item.batch.number,
                "status": item.batch.get_status_display(),
            }
        )
    payee = payees_of([invoice])[invoice.pk]
    if not payee.flagged:
        raise ValidationError(
            gettext(
                "請求書 %(number)s は、記載（または指定済み）の振込先口座に"
                "振り込めます。振込先を指定する必要はありません。"
            )
            % {"number": invoice.number}
        )
    return payee


@transaction.atomic
def payee_choose(
    *, invoice: Invoice, bank_account: BankAccount, reason: str, actor: User
) -> PayeeChoice:
    """Pay ``invoice`` to ``bank_account``, one of its supplier's current
    accounts, because the account it names was changed or removed since
    issue, or it names none. Records the choice, appends an invoice event
    with the reason, and mails the supplier's owners which account the city
    will pay to.

    Raises ``ValidationError`` (no reason; the invoice is not approved, sits
    in a batch past draft, or is not flagged; the account is no longer the
    supplier's) and ``DutyConflictError`` when ``actor`` belongs to the
    supplier: choosing one's own payee is what the rule is there to stop.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext(REASON_REQUIRED)})
    invoice = invoice_lock(invoice)
    # The supplier's row is what its account changes lock: the account read
    # below stays as it is until this choice is committed.
    Supplier.objects.select_for_update().get(pk=invoice.supplier_id)
    previous = payee_choice_check(invoice=invoice, actor=actor)
    account = BankAccount.objects.filter(
        pk=bank_account.pk, supplier_id=invoice.supplier_id
    ).first()
    if account is None:
        raise ValidationError(
            gettext(
                "選んだ口座は、取引先がその後削除しました。画面を更新して選び直してください。"
            )
        )
    now = timezone.now()
    details = bank_account_snapshot(account)
    choice = PayeeChoice.objects.create(
        municipality_id=invoice.municipality_id,
        invoice=invoice,
        bank_account=details,
        source_account=account,
        account_changed_at=account.updated_at,
        recently_changed=account.updated_at >= now - RECENT_CHANGE,
        reason=reason,
        chosen_by=actor,
    )
    event_append(
        invoice=invoice,
        kind=EventKind.PAYEE,
        actor=actor,
        reason=reason,
        data={
            "bank_account": details,
            "previous": previous.account or None,
            "problem": str(previous.problem),
            "recently_changed": choice.recently_changed,
            "account_changed_at": account.updated_at.isoformat(),
        },
    )
    email_send_template(
        template="payee_chosen",
        key=f"payee_choice:{choice.pk}",
        to=supplier_owner_emails(supplier=invoice.supplier),
        context={
            "supplier": invoice.supplier,
            "invoice": invoice,
            "municipality": invoice.municipality,
            "account": bank_account_masked_label(details),
            "no_account_named": previous.problem == PayeeProblem.NONE_NAMED,
            "url": settings.SITE_URL
            + reverse("supplier:invoice", kwargs={"pk": invoice.pk}),
        },
    )
    return choice
