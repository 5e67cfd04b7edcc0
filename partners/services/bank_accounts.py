"""Writes for a supplier's bank accounts (振込先口座).

Every change is recorded in ``BankAccountChange`` and emailed to every owner
of the supplier, whatever their notification settings: a changed payee
account is the classic way to divert a payment.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from accounts.emails import email_send_template
from accounts.models import User
from partners.banking import (
    account_number_normalize,
    bank_validate,
    branch_validate,
    holder_kana_normalize,
)
from partners.models import (
    AccountType,
    BankAccount,
    BankAccountChange,
    Supplier,
)
from partners.selectors import supplier_owner_emails

# What the change log and the owners' email compare.
SNAPSHOT_FIELDS = (
    "bank_code",
    "bank_name",
    "branch_code",
    "branch_name",
    "account_type",
    "account_number",
    "holder_kana",
    "holder_input",
    "is_default",
)

Action = BankAccountChange.Action


class BankAccountDuplicateError(ValidationError):
    """The supplier already has an account with these codes and number."""


def _snapshot(account: BankAccount) -> dict:
    return {field: getattr(account, field) for field in SNAPSHOT_FIELDS}


def _lock_supplier(supplier: Supplier) -> Supplier:
    # Serialises concurrent changes to one supplier's accounts, so that two
    # requests cannot both leave (or both remove) the default.
    return Supplier.objects.select_for_update().get(pk=supplier.pk)


def _checked(errors: dict, field: str, check, *args):
    try:
        return check(*args)
    except ValidationError as error:
        errors[field] = error.error_list
        return None


def _apply_input(
    account: BankAccount,
    *,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_input: str,
) -> None:
    """Check the input against the bank master and the Zengin rules and set
    it on ``account``; names come from the master, never from the caller."""
    errors: dict = {}
    bank = _checked(errors, "bank_code", bank_validate, bank_code)
    branch = bank and _checked(
        errors, "branch_code", branch_validate, bank, branch_code
    )
    number = _checked(
        errors, "account_number", account_number_normalize, account_number
    )
    kana = _checked(errors, "holder_input", holder_kana_normalize, holder_input)
    if errors:
        raise ValidationError(errors)
    account.bank_code, account.bank_name = bank.code, bank.name
    account.branch_code, account.branch_name = branch.code, branch.name
    account.account_type = account_type
    account.account_number = number
    account.holder_kana = kana
    account.holder_input = holder_input.strip()


def _ensure_unique(account: BankAccount) -> None:
    duplicate = (
        BankAccount.objects.filter(
            supplier_id=account.supplier_id,
            bank_code=account.bank_code,
            branch_code=account.branch_code,
            account_type=account.account_type,
            account_number=account.account_number,
        )
        .exclude(pk=account.pk)
        .exists()
    )
    if duplicate:
        raise BankAccountDuplicateError(
            gettext("この口座（%(account)s）はすでに登録されています。"),
            code="duplicate",
            params={"account": account},
        )


def _set_default_flag(account: BankAccount, value: bool) -> tuple:
    before = _snapshot(account)
    account.is_default = value
    account.full_clean()
    account.save(update_fields=["is_default", "updated_at"])
    return Action.DEFAULT, account, before, _snapshot(account)


def _mask(number: str) -> str:
    return "*" * (len(number) - 3) + number[-3:]


def bank_account_masked_label(account: dict) -> str:
    """An account (its recorded fields) as mail names it: bank, branch,
    type, the number masked but for its last three digits, holder."""
    return gettext(
        "%(bank)s（%(bank_code)s） %(branch)s（%(branch_code)s） "
        "%(account_type)s %(account_number)s %(holder)s"
    ) % {
        "bank": account["bank_name"],
        "bank_code": account["bank_code"],
        "branch": account["branch_name"],
        "branch_code": account["branch_code"],
        "account_type": AccountType(account["account_type"]).label,
        "account_number": _mask(account["account_number"]),
        "holder": account["holder_kana"],
    }


def _display(field: str, value) -> str:
    if field == "account_number":
        return _mask(value)
    if field == "account_type":
        return AccountType(value).label
    if field == "is_default":
        return gettext("はい") if value else gettext("いいえ")
    return value


def _describe(change: BankAccountChange) -> dict:
    label = bank_account_masked_label(change.after or change.before)
    diffs = [
        {
            "label": BankAccount._meta.get_field(field).verbose_name,
            "before": _display(field, change.before[field]),
            "after": _display(field, change.after[field]),
        }
        for field in SNAPSHOT_FIELDS
        if change.before
        and change.after
        and change.before[field] != change.after[field]
    ]
    return {"action": change.get_action_display(), "account": label, "diffs": diffs}


def _record(*, supplier: Supplier, actor: User, changes: list[tuple]) -> None:
    """Write one change-log row per change, then mail every active owner
    (after commit, one message each so owners do not see each other's
    addresses)."""
    rows = []
    for action, account, before, after in changes:
        row = BankAccountChange(
            supplier=supplier,
            bank_account=account,
            action=action,
            actor=actor,
            before=before,
            after=after,
        )
        row.full_clean()
        row.save()
        rows.append(row)
    context = {
        "supplier": supplier,
        "actor": actor,
        "changed_at": rows[0].created_at,
        "changes": [_describe(row) for row in rows],
        "url": settings.SITE_URL + reverse("supplier:bank_accounts"),
    }
    # One message per owner (email_queue), so no owner sees another's address.
    email_send_template(
        template="bank_account_changed",
        to=supplier_owner_emails(supplier=supplier),
        context=context,
    )


@transaction.atomic
def bank_account_create(
    *,
    supplier: Supplier,
    actor: User,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_input: str,
) -> BankAccount:
    """Add a payee account to ``supplier``; the first one becomes the
    default.

    Raises ``ValidationError`` (keyed by argument name) for an unknown bank
    or branch, a malformed number or a holder name that cannot be written
    in Zengin kana, and ``BankAccountDuplicateError`` if the supplier already
    has this account (e.g. a form submitted twice).
    """
    supplier = _lock_supplier(supplier)
    account = BankAccount(supplier=supplier)
    _apply_input(
        account,
        bank_code=bank_code,
        branch_code=branch_code,
        account_type=account_type,
        account_number=account_number,
        holder_input=holder_input,
    )
    _ensure_unique(account)
    account.is_default = not supplier.bank_accounts.exists()
    account.full_clean()
    account.save()
    _record(
        supplier=supplier,
        actor=actor,
        changes=[(Action.CREATED, account, {}, _snapshot(account))],
    )
    return account


@transaction.atomic
def bank_account_update(
    *,
    bank_account: BankAccount,
    actor: User,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
    holder_input: str,
) -> BankAccount:
    """Change an account's bank, branch, type, number or holder.

    Saving the same values again records and sends nothing. Raises as
    ``bank_account_create`` does.
    """
    supplier = _lock_supplier(bank_account.supplier)
    account = BankAccount.objects.get(pk=bank_account.pk, supplier=supplier)
    before = _snapshot(account)
    _apply_input(
        account,
        bank_code=bank_code,
        branch_code=branch_code,
        account_type=account_type,
        account_number=account_number,
        holder_input=holder_input,
    )
    _ensure_unique(account)
    account.full_clean()
    after = _snapshot(account)
    if after == before:
        return account
    account.save()
    _record(
        supplier=supplier,
        actor=actor,
        changes=[(Action.UPDATED, account, before, after)],
    )
    return account


@transaction.atomic
def bank_account_delete(*, bank_account: BankAccount, actor: User) -> None:
    """Remove an account. If it was the default, the oldest remaining
    account becomes the default, so one exists while any account does."""
    supplier = _lock_supplier(bank_account.supplier)
    account = BankAccount.objects.get(pk=bank_account.pk, supplier=supplier)
    before = _snapshot(account)
    account.delete()
    changes = [(Action.DELETED, None, before, {})]
    if account.is_default:
        successor = supplier.bank_accounts.order_by("pk").first()
        if successor is not None:
            changes.append(_set_default_flag(successor, True))
    _record(supplier=supplier, actor=actor, changes=changes)


@transaction.atomic
def bank_account_set_default(*, bank_account: BankAccount, actor: User) -> BankAccount:
    """Make ``bank_account`` the supplier's default payee account (既定の
    振込先). Already the default: nothing is recorded or sent."""
    supplier = _lock_supplier(bank_account.supplier)
    account = BankAccount.objects.get(pk=bank_account.pk, supplier=supplier)
    if account.is_default:
        return account
    changes = [
        _set_default_flag(current, False)
        for current in supplier.bank_accounts.filter(is_default=True)
    ]
    changes.append(_set_default_flag(account, True))
    _record(supplier=supplier, actor=actor, changes=changes)
    return account
