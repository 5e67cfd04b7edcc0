"""振込先の指定, through the pages: an invoice that names no account, or an
account the supplier changed or removed since, is flagged in the payables
list and cannot be batched until the treasury chooses one of the supplier's
current accounts with a reason (an invoice event and a mail to the owners);
the Zengin file and the payment notice then use that account, and the
invoice's frozen content stays as issued. Accounts added or changed within
30 days are highlighted. Another city's invoice, a draft, or another
supplier's account answers 404."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, InvoiceEvent
from invoices.services.decisions import invoice_approve
from municipality.models import (
    BatchStatus,
    PayeeChoice,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
)
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from partners.models import BankAccount
from partners.services.bank_accounts import bank_account_delete
from tests.factories import (
    ConnectionFactory,
    SupplierMembershipFactory,
    make_invoice,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_bank_account,
    make_settings,
    make_supplier,
)

pytestmark = pytest.mark.django_db

REASON = "取引先の経理担当に、以前から把握している電話番号で口座の変更を確認した。"
ACCOUNT_FORM = {
    "bank_code": "0005",
    "branch_code": "001",
    "account_type": "1",
    "account_number": "1234",
    "japan_post_kigou": "",
    "japan_post_bangou": "",
    "holder_input": "かぶしきがいしゃ てすと",
}


@pytest.fixture
def payday():
    return business_day_after(timezone.localdate())


@pytest.fixture
def settings_row(tenant):
    return make_settings(tenant.municipality)


def _payee_url(invoice, slug="kanoya"):
    return reverse(
        "city:invoice_payee", kwargs={"municipality_slug": slug, "pk": invoice.pk}
    )


PAYABLES = "/m/kanoya/treasury/payables/"


def _refresh(obj):
    with scopes_disabled():
        obj.refresh_from_db()
    return obj


def _events(invoice, kind):
    with scopes_disabled():
        return list(InvoiceEvent.objects.filter(invoice=invoice, kind=kind))


def _choices(invoice):
    with scopes_disabled():
        return list(PayeeChoice.objects.filter(invoice=invoice).order_by("pk"))


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _supplier_with_approved(tenant, count=1, **account_fields):
    """A supplier (with a default account) and ``count`` approved invoices."""
    with scopes_disabled():
        user, connection = make_supplier(tenant.department, **account_fields)
        invoices = [make_approved(tenant, user, connection) for _ in range(count)]
    return user, connection, invoices


def _row(response, invoice):
    (row,) = [r for r in response.context["rows"] if r[0].pk == invoice.pk]
    return row


def test_an_invoice_issued_without_an_account_is_paid_to_the_one_registered_later(
    client,
    tenant,
    settings_row,
    payday,
    django_capture_on_commit_callbacks,
):
    # A supplier without an account issues (told on the draft page).
    owner_membership = SupplierMembershipFactory()
    supplier = owner_membership.supplier
    owner = owner_membership.user
    second_owner = SupplierMembershipFactory(supplier=supplier).user
    connection = ConnectionFactory(supplier=supplier, department=tenant.department)
    with scopes_disabled():
        draft = make_invoice(connection=connection, actor=owner, issue=False)
    client.force_login(owner)
    page = client.get(reverse("supplier:invoice", args=[draft.pk]))
    assert 'data-testid="no-bank-account"' in page.content.decode()
    client.post(reverse("supplier:invoice_issue", args=[draft.pk]), {"confirmed": "1"})
    invoice = _refresh(draft)
    assert invoice.snapshot["bank_account"] is None
    frozen, frozen_hash = dict(invoice.snapshot), invoice.content_hash
    with scopes_disabled():
        invoice = invoice_approve(
            invoice=invoice,
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
        )

    # The supplier registers an account afterwards, through its page.
    url = reverse("supplier:bank_account_add")
    client.post(url, ACCOUNT_FORM)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, ACCOUNT_FORM | {"confirmed": "1"})
    with scopes_disabled():
        account = BankAccount.objects.get(supplier=supplier)

    # Treasury: flagged in the payables list, cannot be picked or batched.
    client.force_login(tenant.treasury)
    with scopes_disabled():
        batch = batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
    response = client.get(PAYABLES)
    payee = _row(response, invoice).payee
    assert payee.flagged
    page = response.content.decode()
    assert "振込先の記載なし" in page
    assert f'href="{_payee_url(invoice)}"' in page
    assert f'name="invoices" value="{invoice.pk}"' not in page
    response = client.post(
        PAYABLES, {"batch": batch.pk, "invoices": [invoice.pk]}, follow=True
    )
    assert any("振込先口座の記載がない" in m for m in _messages(response))
    with scopes_disabled():
        assert not PaymentBatchItem.objects.filter(invoice=invoice).exists()

    # The payee page offers the new account, highlighted (added today).
    page = client.get(_payee_url(invoice)).content.decode()
    assert 'data-testid="payee-flag"' in page
    assert 'data-testid="recent-account"' in page
    assert 'data-testid="recent-warning"' in page
    assert f'value="{account.pk}"' in page

    # A reason is required; nothing is recorded without one.
    response = client.post(_payee_url(invoice), {"bank_account": account.pk})
    assert response.status_code == 200
    assert "この口座に振り込む理由を入力してください" in response.content.decode()
    assert _choices(invoice) == []

    # It asks first: the invoice, the account money will go to, the reason.
    asked = client.post(
        _payee_url(invoice), {"bank_account": account.pk, "reason": REASON}
    )
    page = asked.content.decode()
    assert 'data-testid="confirm-payee"' in page
    assert "0001234" in page
    assert REASON in page
    assert "振込先の指定を確定する" in page
    assert '<input type="hidden" name="confirmed" value="1">' in page
    assert _choices(invoice) == []

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _payee_url(invoice),
            {"bank_account": account.pk, "reason": REASON, "confirmed": "1"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == PAYABLES
    assert "振込先を指定しました" in _messages(response)[0]
    (choice,) = _choices(invoice)
    assert choice.bank_account["account_number"] == "0001234"
    assert choice.recently_changed
    assert (choice.reason, choice.chosen_by) == (REASON, tenant.treasury)
    (event,) = _events(invoice, EventKind.PAYEE)
    assert event.reason == REASON
    assert event.actor == tenant.treasury
    assert event.data["bank_account"]["account_number"] == "0001234"
    assert event.data["previous"] is None
    assert event.data["recently_changed"] is True
    # Each owner is told which account the city will pay to.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [owner.email, second_owner.email]
    )
    message = mail.outbox[0]
    assert "振込先が指定されました" in message.subject
    assert invoice.number in message.subject
    assert "三菱UFJ" in message.body
    assert "****234" in message.body
    assert "0001234" not in message.body

    # No longer flagged: it is batched, exported and paid to that account.
    response = client.get(PAYABLES)
    payee = _row(response, invoice).payee
    assert not payee.flagged
    assert "振込先を指定済み" in response.content.decode()
    client.post(PAYABLES, {"batch": batch.pk, "invoices": [invoice.pk]})
    batch_url = f"/m/kanoya/treasury/batches/{batch.pk}/"
    response = client.post(f"{batch_url}export/", {"confirmed": "1"})
    assert response["Location"] == batch_url
    data = client.get(f"{batch_url}zengin/").content
    (record,) = [line for line in data.split(b"\r\n") if line.startswith(b"2")]
    assert record[1:5] == b"0005"  # bank
    assert record[20:23] == b"001"  # branch
    assert record[43:50] == b"0001234"  # account number
    with scopes_disabled():
        notice = PaymentNotice.objects.get(batch=batch)
    assert notice.bank_account == choice.bank_account

    # The frozen invoice is unchanged.
    invoice = _refresh(invoice)
    assert invoice.snapshot == frozen
    assert invoice.content_hash == frozen_hash


def test_an_account_changed_after_issue_is_flagged_and_can_be_replaced(
    client, tenant, settings_row, django_capture_on_commit_callbacks
):
    _user, connection, (invoice,) = _supplier_with_approved(tenant)
    named = invoice.snapshot["bank_account"]
    with scopes_disabled():
        BankAccount.objects.filter(supplier=connection.supplier).update(
            account_number="7777777"
        )
    client.force_login(tenant.treasury)
    response = client.get(PAYABLES)
    payee = _row(response, invoice).payee
    assert payee.problem == "gone"
    assert "振込先の口座が変更・削除" in response.content.decode()

    page = client.get(_payee_url(invoice)).content.decode()
    assert "発行後に取引先が変更または削除しました" in page
    assert named["account_number"] in page  # the account the invoice names
    with scopes_disabled():
        account = BankAccount.objects.get(supplier=connection.supplier)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _payee_url(invoice),
            {"bank_account": account.pk, "reason": REASON, "confirmed": "1"},
        )
    (event,) = _events(invoice, EventKind.PAYEE)
    assert event.data["previous"]["account_number"] == named["account_number"]
    assert event.data["bank_account"]["account_number"] == "7777777"
    assert _refresh(invoice).snapshot["bank_account"] == named


def test_accounts_changed_within_30_days_are_highlighted(
    client, tenant, settings_row, django_capture_on_commit_callbacks
):
    _user, connection, (invoice, second) = _supplier_with_approved(
        tenant, 2, account_number="1111111"
    )
    supplier = connection.supplier
    with scopes_disabled():
        # The named account is gone; an old account and a new one remain.
        BankAccount.objects.filter(supplier=supplier).delete()
        old = make_bank_account(supplier, account_number="2222222")
        BankAccount.objects.filter(pk=old.pk).update(
            updated_at=timezone.now() - timedelta(days=45)
        )
        new = make_bank_account(supplier, account_number="3333333")
    client.force_login(tenant.treasury)
    response = client.get(_payee_url(invoice))
    options = {o.account.pk: o.recent for o in response.context["options"]}
    assert options == {old.pk: False, new.pk: True}
    page = response.content.decode()
    assert page.count('data-testid="recent-account"') == 1
    assert page.count("account-choice__item--recent") == 1
    recent_label = page.split('data-testid="recent-account"')[1].split("</label>")[0]
    assert "3333333" in recent_label
    assert "30日以内に変更" in recent_label

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _payee_url(invoice),
            {"bank_account": new.pk, "reason": REASON, "confirmed": "1"},
        )
        client.post(
            _payee_url(second),
            {"bank_account": old.pk, "reason": REASON, "confirmed": "1"},
        )
    assert [c.recently_changed for c in _choices(invoice)] == [True]
    assert [c.recently_changed for c in _choices(second)] == [False]
    assert _events(second, EventKind.PAYEE)[0].data["recently_changed"] is False


def test_a_payable_invoice_needs_no_choice_and_gets_none(client, tenant, settings_row):
    _user, connection, (invoice,) = _supplier_with_approved(tenant)
    with scopes_disabled():
        account = BankAccount.objects.get(supplier=connection.supplier)
    client.force_login(tenant.treasury)
    page = client.get(_payee_url(invoice)).content.decode()
    assert 'data-testid="payee-ok"' in page
    assert 'name="reason"' not in page
    response = client.post(
        _payee_url(invoice), {"bank_account": account.pk, "reason": REASON}
    )
    assert response.status_code == 200
    assert "振込先を指定する必要はありません" in response.content.decode()
    assert _choices(invoice) == []
    assert _events(invoice, EventKind.PAYEE) == []


def test_an_account_removed_after_batching_stops_the_export_until_chosen(
    client, tenant, settings_row, payday, django_capture_on_commit_callbacks
):
    user, connection, (invoice,) = _supplier_with_approved(tenant)
    with scopes_disabled():
        batch = batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
        batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
        named = BankAccount.objects.get(supplier=connection.supplier)
        with django_capture_on_commit_callbacks(execute=True):
            bank_account_delete(bank_account=named, actor=user)
        new = make_bank_account(connection.supplier, account_number="4444444")
    client.force_login(tenant.treasury)
    batch_url = f"/m/kanoya/treasury/batches/{batch.pk}/"
    response = client.post(f"{batch_url}export/", {"confirmed": "1"})
    assert response.status_code == 200
    (problem,) = response.context["problems"]
    assert "その後取引先が変更または削除しました" in problem
    assert _refresh(batch).status == BatchStatus.DRAFT

    # Still in the draft batch: the payee can be chosen, then it exports.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _payee_url(invoice),
            {"bank_account": new.pk, "reason": REASON, "confirmed": "1"},
        )
    response = client.post(f"{batch_url}export/", {"confirmed": "1"})
    assert response["Location"] == batch_url
    with scopes_disabled():
        notice = PaymentNotice.objects.get(batch=batch)
    assert notice.bank_account["account_number"] == "4444444"


def test_no_choice_for_an_invoice_in_an_approved_batch(
    client, tenant, settings_row, payday
):
    _user, connection, (invoice,) = _supplier_with_approved(tenant)
    with scopes_disabled():
        batch = batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
        batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
        PaymentBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.APPROVED)
        BankAccount.objects.filter(supplier=connection.supplier).update(
            account_number="5555555"
        )
        account = BankAccount.objects.get(supplier=connection.supplier)
    client.force_login(tenant.treasury)
    response = client.post(
        _payee_url(invoice), {"bank_account": account.pk, "reason": REASON}
    )
    assert "バッチを取り消してから指定してください" in response.content.decode()
    assert _choices(invoice) == []


def test_a_treasury_member_of_the_supplier_cannot_choose_its_payee(
    client, tenant, settings_row
):
    _user, connection, (invoice,) = _supplier_with_approved(tenant)
    with scopes_disabled():
        BankAccount.objects.filter(supplier=connection.supplier).update(
            account_number="6666666"
        )
        account = BankAccount.objects.get(supplier=connection.supplier)
    SupplierMembershipFactory(supplier=connection.supplier, user=tenant.treasury)
    client.force_login(tenant.treasury)
    page = client.get(_payee_url(invoice)).content.decode()
    assert 'data-testid="duty-conflict"' in page
    assert 'name="reason"' not in page
    response = client.post(
        _payee_url(invoice), {"bank_account": account.pk, "reason": REASON}
    )
    assert "職務の分離" in response.content.decode()
    assert _choices(invoice) == []


# Tenancy ---------------------------------------------------------------------


def test_another_suppliers_account_is_404(client, tenant, settings_row):
    _user, connection, (invoice,) = _supplier_with_approved(tenant)
    _, other_connection, _ = _supplier_with_approved(
        tenant, 0, account_number="8888888"
    )
    with scopes_disabled():
        BankAccount.objects.filter(supplier=connection.supplier).delete()
        foreign = BankAccount.objects.get(supplier=other_connection.supplier)
    client.force_login(tenant.treasury)
    response = client.post(
        _payee_url(invoice), {"bank_account": foreign.pk, "reason": REASON}
    )
    assert response.status_code == 404
    assert _choices(invoice) == []


def test_another_citys_invoice_a_draft_and_other_roles_get_404(
    client, tenant, other_tenant, settings_row
):
    user, connection, (invoice,) = _supplier_with_approved(tenant)
    with scopes_disabled():
        draft = make_invoice(connection=connection, actor=user, issue=False)
        account = BankAccount.objects.get(supplier=connection.supplier)
    data = {"bank_account": account.pk, "reason": REASON, "confirmed": "1"}
    # Another city's treasury, in its own city's URL and in kanoya's.
    client.force_login(other_tenant.treasury)
    for url in (_payee_url(invoice), _payee_url(invoice, slug="kirishima")):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    # Kanoya's treasury: a draft is not an invoice of the city yet.
    client.force_login(tenant.treasury)
    assert client.get(_payee_url(draft)).status_code == 404
    # Department staff, city administrators and the supplier: 404.
    for other in (tenant.department_staff, tenant.city_admin, user):
        client.force_login(other)
        assert client.get(_payee_url(invoice)).status_code == 404
        assert client.post(_payee_url(invoice), data).status_code == 404
    assert _choices(invoice) == []
