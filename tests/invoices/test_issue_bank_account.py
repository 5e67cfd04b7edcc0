"""The issue step's payee account (振込先): the supplier chooses one of its
registered accounts (the default preselected) and the invoice names it; a
supplier without one is told before issuing, with a link to register one,
and may still issue; another supplier's account answers 404."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from invoices.services.issue import invoice_issue
from invoices.views.supplier import CHOOSE_BANK_ACCOUNT
from partners.models import SupplierRole
from tests.factories import SupplierMembershipFactory, make_invoice
from tests.municipality.test_treasury_support import make_bank_account

pytestmark = pytest.mark.django_db

# The confirmation step's field: without it, issuing only asks.
CONFIRMED = {"confirmed": "1"}


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def draft(supplier, supplier_user):
    with scopes_disabled():
        connection = supplier.connections.get()
        return make_invoice(connection=connection, actor=supplier_user, issue=False)


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


def _issue_url(invoice):
    return reverse("supplier:invoice_issue", args=[invoice.pk])


def _detail_url(invoice):
    return reverse("supplier:invoice", args=[invoice.pk])


def _refresh(invoice):
    with scopes_disabled():
        invoice.refresh_from_db()
    return invoice


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_the_issue_step_offers_every_account_with_the_default_chosen(
    member, supplier, draft
):
    first = make_bank_account(supplier, account_number="1111111")
    default = make_bank_account(supplier, account_number="2222222")
    page = member.get(_detail_url(draft)).content.decode()
    assert 'data-testid="issue-bank-account"' in page
    assert f'value="{first.pk}" required>' in page
    assert f'value="{default.pk}" required checked>' in page
    assert 'data-testid="no-bank-account"' not in page


def test_the_invoice_names_the_account_chosen_on_the_issue_step(
    member, supplier, draft
):
    chosen = make_bank_account(supplier, account_number="1111111")
    make_bank_account(supplier, account_number="2222222")  # the default
    response = member.post(
        _issue_url(draft), {"bank_account": str(chosen.pk), **CONFIRMED}, follow=True
    )
    assert "請求書を発行しました" in _messages(response)[0]
    invoice = _refresh(draft)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.snapshot["bank_account"]["account_number"] == "1111111"
    # The document shown from the frozen content names it too.
    assert "1111111" in response.content.decode()


def test_issuing_without_choosing_an_account_is_refused_when_there_is_one(
    member, supplier, draft
):
    make_bank_account(supplier)
    response = member.post(_issue_url(draft), CONFIRMED, follow=True)
    assert _messages(response) == [str(CHOOSE_BANK_ACCOUNT)]
    assert _refresh(draft).status == InvoiceStatus.DRAFT


def test_another_suppliers_account_is_404_and_issues_nothing(
    member, supplier, draft, other_supplier_user
):
    make_bank_account(supplier)
    foreign = make_bank_account(
        other_supplier_user.supplier_membership.supplier, account_number="9999999"
    )
    for value in (str(foreign.pk), "not-a-number", "999999"):
        for data in ({"bank_account": value}, {"bank_account": value, **CONFIRMED}):
            response = member.post(_issue_url(draft), data)
            assert response.status_code == 404, data
    assert _refresh(draft).status == InvoiceStatus.DRAFT


def test_the_service_refuses_an_account_that_is_not_the_suppliers(
    supplier, supplier_user, draft, other_supplier_user
):
    foreign = make_bank_account(other_supplier_user.supplier_membership.supplier)
    with scopes_disabled(), pytest.raises(ValidationError) as excinfo:
        invoice_issue(invoice=draft, actor=supplier_user, bank_account=foreign)
    assert "選んだ振込先口座は登録されていません" in excinfo.value.messages[0]
    assert _refresh(draft).status == InvoiceStatus.DRAFT


def test_without_an_account_the_owner_is_told_and_may_still_issue(member, draft):
    page = member.get(_detail_url(draft)).content.decode()
    assert 'data-testid="no-bank-account"' in page
    assert "振込先口座が登録されていません" in page
    assert f'href="{reverse("supplier:bank_account_add")}"' in page
    assert "発行する</button>" in page

    asked = member.post(_issue_url(draft)).content.decode()
    assert 'data-testid="no-bank-account"' in asked  # said again when asked
    response = member.post(_issue_url(draft), CONFIRMED, follow=True)
    assert "請求書を発行しました" in _messages(response)[0]
    invoice = _refresh(draft)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.snapshot["bank_account"] is None


def test_a_clerk_without_an_account_is_sent_to_the_owners(client, supplier, draft):
    clerk = SupplierMembershipFactory(supplier=supplier, role=SupplierRole.CLERK).user
    client.force_login(clerk)
    page = client.get(_detail_url(draft)).content.decode()
    assert "管理者に登録を依頼してください" in page
    assert f'href="{reverse("supplier:bank_accounts")}"' in page
    assert reverse("supplier:bank_account_add") not in page


def test_the_warning_shows_on_a_draft_that_cannot_be_issued_yet(
    member, supplier, draft
):
    supplier.registration_number = ""
    supplier.save()
    page = member.get(_detail_url(draft)).content.decode()
    assert "登録番号が必要です" in page
    assert 'data-testid="no-bank-account"' in page


def test_the_confirmation_names_the_chosen_account_and_sends_it_again(
    member, supplier, draft
):
    chosen = make_bank_account(supplier, account_number="1111111")
    make_bank_account(supplier, account_number="2222222")  # the default

    response = member.post(_issue_url(draft), {"bank_account": str(chosen.pk)})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="confirm-bank-account"' in page
    assert "1111111" in page
    assert "2222222" not in page
    assert f'<input type="hidden" name="bank_account" value="{chosen.pk}">' in page
    assert _refresh(draft).status == InvoiceStatus.DRAFT


def test_the_confirmation_page_without_a_choice_offers_every_account(
    member, supplier, draft
):
    first = make_bank_account(supplier, account_number="1111111")
    default = make_bank_account(supplier, account_number="2222222")

    page = member.get(_issue_url(draft)).content.decode()

    assert 'data-testid="issue-bank-account"' in page
    assert f'value="{first.pk}" required>' in page
    assert f'value="{default.pk}" required checked>' in page
    assert _refresh(draft).status == InvoiceStatus.DRAFT
