"""Bulk work (invoices/services/bulk.py, invoices/views/bulk.py): a supplier issues
several drafts at once from the invoice list (まとめて発行), department staff
approve several opened invoices at once from the inbox with one inspection
date (まとめて承認). Both go through the confirmation step, are all or
nothing with every problem named by invoice, give each invoice exactly the
events a single action gives it, and answer 404 for an invoice the user may
not see, doing nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.services.bulk import BulkError, invoices_approve, invoices_issue
from invoices.services.decisions import invoice_approve, invoice_view_record
from invoices.services.drafts import LineInput, invoice_draft_save
from municipality.models import StaffRole
from partners.models import SupplierRole
from tests.factories import (
    ConnectionFactory,
    StaffMembershipFactory,
    SupplierMembershipFactory,
    make_invoice,
)
from tests.municipality.test_treasury_support import make_bank_account

pytestmark = pytest.mark.django_db

CONFIRMED = {"confirmed": "1"}
CONFIRM_FIELD = '<input type="hidden" name="confirmed" value="1">'
BULK_ISSUE = reverse("supplier:invoice_bulk_issue")
SUPPLIER_LIST = reverse("supplier:invoices")
BULK_APPROVE = reverse("city:invoice_bulk_approve", args=["kanoya"])
INBOX = reverse("city:inbox", args=["kanoya"])


def _fresh(*invoices):
    with scopes_disabled():
        found = {
            i.pk: i for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])
        }
    return [found[i.pk] for i in invoices]


def _statuses(*invoices):
    return [invoice.status for invoice in _fresh(*invoices)]


def _events(invoice, kind):
    with scopes_disabled():
        return list(InvoiceEvent.objects.filter(invoice=invoice, kind=kind))


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _ids(*invoices):
    return [invoice.pk for invoice in invoices]


# まとめて発行 ------------------------------------------------------------------


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def drafts(connection, supplier_user):
    with scopes_disabled():
        return [
            make_invoice(
                connection=connection,
                actor=supplier_user,
                issue=False,
                subject=f"電気料金 {month}月分",
            )
            for month in (4, 5, 6)
        ]


@pytest.fixture
def empty_draft(connection, supplier_user):
    """A draft with no lines: it cannot be issued."""
    today = timezone.localdate()
    with scopes_disabled():
        return invoice_draft_save(
            supplier=connection.supplier,
            actor=supplier_user,
            connection=connection,
            fields={
                "number": "EMPTY-0001",
                "issue_date": today,
                "transaction_date": today,
                "subject": "明細なし",
                "price_basis": "exclusive",
            },
            lines=[],
        )


def test_the_list_offers_drafts_only_for_bulk_issue(member, drafts, issued_invoice):
    page = member.get(SUPPLIER_LIST).content.decode()

    assert f'action="{BULK_ISSUE}" data-confirm>' in page
    assert "まとめて発行" in page
    for draft in drafts:
        assert f'name="invoices" value="{draft.pk}"' in page
    assert f'name="invoices" value="{issued_invoice.pk}"' not in page


def test_the_list_without_drafts_has_no_bulk_issue(member, issued_invoice):
    page = member.get(SUPPLIER_LIST).content.decode()

    assert 'name="invoices"' not in page
    assert "まとめて発行</button>" not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_bulk_issue_asks_first_and_lists_every_draft(member, drafts, method):
    response = getattr(member, method)(BULK_ISSUE, {"invoices": _ids(*drafts)})

    assert response.status_code == 200
    page = response.content.decode()
    for draft in drafts:
        assert draft.number in page
        assert draft.subject in page
    total = sum(draft.total for draft in drafts)
    assert f"{total:,.0f}円" in page
    assert "3 件の請求書を発行します" in page
    assert "まとめて発行を確定する" in page
    assert CONFIRM_FIELD in page
    for draft in drafts:
        assert f'type="hidden" name="invoices" value="{draft.pk}"' in page
    assert _statuses(*drafts) == [InvoiceStatus.DRAFT] * 3
    assert mail.outbox == []


def test_bulk_issue_confirmed_issues_each_as_alone(
    member, drafts, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(
            BULK_ISSUE, {"invoices": _ids(*drafts), **CONFIRMED}, follow=True
        )

    assert response.redirect_chain == [(SUPPLIER_LIST, 302)]
    assert _messages(response) == [
        "3 件の請求書を発行しました。宛先の部署に届きました。"
    ]
    issued = _fresh(*drafts)
    assert [i.status for i in issued] == [InvoiceStatus.ISSUED] * 3
    assert len({i.receipt_number for i in issued}) == 3
    assert all(i.snapshot and i.content_hash for i in issued)
    for invoice in issued:
        (event,) = _events(invoice, EventKind.ISSUED)
        assert (event.from_status, event.to_status) == ("draft", "issued")
    # One notice per invoice to the department, as when issued one by one.
    assert len(mail.outbox) == 3


def test_bulk_issue_names_the_default_account_on_every_invoice(
    member, drafts, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    make_bank_account(supplier, account_number="1111111", is_default=False)
    make_bank_account(supplier, account_number="2222222")  # the default
    data = {"invoices": _ids(*drafts)}

    page = member.post(BULK_ISSUE, data).content.decode()
    assert 'data-testid="confirm-bank-account"' in page
    assert "2222222" in page
    assert "1111111" not in page

    member.post(BULK_ISSUE, {**data, **CONFIRMED})
    for invoice in _fresh(*drafts):
        assert invoice.snapshot["bank_account"]["account_number"] == "2222222"


def test_bulk_issue_with_one_bad_draft_issues_none_and_names_it(
    member, drafts, empty_draft
):
    data = {"invoices": _ids(*drafts, empty_draft), **CONFIRMED}

    response = member.post(BULK_ISSUE, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "どれも処理しません" in page
    assert "請求書 EMPTY-0001（明細なし）: 明細を1行以上入力してください。" in page
    assert "請求書 EMPTY-0001（明細なし）: 請求金額が0円です。" in page
    assert "まとめて発行を確定する" not in page
    assert _statuses(*drafts, empty_draft) == [InvoiceStatus.DRAFT] * 4
    for draft in drafts:
        assert _events(draft, EventKind.ISSUED) == []
        assert _fresh(draft)[0].receipt_number == ""
    assert mail.outbox == []


def test_bulk_issue_confirmation_lists_the_problems_before_anyone_confirms(
    member, drafts, empty_draft, issued_invoice
):
    response = member.post(
        BULK_ISSUE, {"invoices": _ids(drafts[0], empty_draft, issued_invoice)}
    )

    page = response.content.decode()
    assert "請求書 EMPTY-0001（明細なし）: 明細を1行以上入力してください。" in page
    assert f"請求書 {issued_invoice.number}（事務用品）: 下書きではありません" in page
    assert "まとめて発行を確定する" not in page
    assert CONFIRM_FIELD in page  # the form is there, without its button


def test_bulk_issue_of_another_suppliers_draft_is_404_and_issues_nothing(
    client, drafts, other_supplier_user
):
    with scopes_disabled():
        connection = other_supplier_user.supplier_membership.supplier.connections.get()
        own = make_invoice(
            connection=connection, actor=other_supplier_user, issue=False
        )
    client.force_login(other_supplier_user)

    for data in ({"invoices": _ids(own, drafts[0])}, {"invoices": _ids(drafts[0])}):
        assert client.get(BULK_ISSUE, data).status_code == 404
        assert client.post(BULK_ISSUE, {**data, **CONFIRMED}).status_code == 404
    assert _statuses(own, *drafts) == [InvoiceStatus.DRAFT] * 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "発行する下書きを選んでください。"),
        ({"invoices": ["x"]}, "請求書の指定が正しくありません。"),
        ({"invoices": [str(n) for n in range(1, 102)]}, "一度に選べるのは 100 件まで"),
    ],
)
def test_bulk_issue_with_no_or_wrong_choice_goes_back_to_the_list(
    member, drafts, data, message
):
    response = member.post(BULK_ISSUE, {**data, **CONFIRMED}, follow=True)

    assert response.redirect_chain == [(SUPPLIER_LIST, 302)]
    assert message in _messages(response)[0]
    assert _statuses(*drafts) == [InvoiceStatus.DRAFT] * 3


def test_the_bulk_issue_service_is_all_or_nothing(supplier_user, drafts, empty_draft):
    with scopes_disabled(), pytest.raises(BulkError) as excinfo:
        invoices_issue(invoices=[*drafts, empty_draft], actor=supplier_user)

    assert {problem.invoice.pk for problem in excinfo.value.problems} == {
        empty_draft.pk
    }
    assert _statuses(*drafts) == [InvoiceStatus.DRAFT] * 3


# まとめて承認 ------------------------------------------------------------------


def _lines():
    return [LineInput("電気料金", Decimal(1), Decimal(5400), "S", "式")]


@pytest.fixture
def opened(connection, supplier_user, tenant):
    """Three opened invoices of the staff member's department."""
    with scopes_disabled():
        return [
            invoice_view_record(
                invoice=make_invoice(
                    connection=connection,
                    actor=supplier_user,
                    lines=_lines(),
                    subject=f"電気料金 {month}月分",
                ),
                actor=tenant.department_staff,
            )
            for month in (4, 5, 6)
        ]


@pytest.fixture
def staff(client, tenant):
    client.force_login(tenant.department_staff)
    return client


def _approve_data(*invoices, day=None, **extra):
    day = day or timezone.localdate() - timedelta(days=1)
    return {"invoices": _ids(*invoices), "inspection_date": day.isoformat(), **extra}


def test_the_inbox_offers_opened_invoices_for_bulk_approval(
    staff, opened, issued_invoice
):
    page = staff.get(INBOX).content.decode()

    assert f'action="{BULK_APPROVE}" novalidate data-confirm>' in page
    assert "まとめて承認" in page
    assert 'name="inspection_date"' in page
    for invoice in opened:
        assert f'name="invoices" value="{invoice.pk}"' in page
    # Unopened: someone must look at it first.
    assert f'name="invoices" value="{issued_invoice.pk}"' not in page


@pytest.mark.parametrize("role", ["treasury", "city_admin"])
def test_readers_of_every_department_get_no_bulk_approval(client, tenant, opened, role):
    client.force_login(getattr(tenant, role))

    page = client.get(INBOX).content.decode()

    assert 'name="invoices"' not in page
    assert client.post(BULK_APPROVE, _approve_data(*opened)).status_code == 404


def test_bulk_approve_asks_first_with_the_inspection_date(staff, opened):
    day = timezone.localdate() - timedelta(days=2)

    response = staff.post(BULK_APPROVE, _approve_data(*opened, day=day))

    assert response.status_code == 200
    page = response.content.decode()
    for invoice in opened:
        assert invoice.number in page
        assert invoice.subject in page
    assert opened[0].supplier.legal_name in page
    assert "17,820円" in page  # 3 × 5,940円
    assert f"{day.year}年{day.month}月{day.day}日" in page
    assert "3 件の請求書を承認します" in page
    assert "まとめて承認を確定する" in page
    assert CONFIRM_FIELD in page
    assert _statuses(*opened) == [InvoiceStatus.OPENED] * 3
    assert mail.outbox == []


def test_bulk_approve_confirmed_approves_each_exactly_as_alone(
    staff, tenant, opened, connection, supplier_user, django_capture_on_commit_callbacks
):
    day = timezone.localdate() - timedelta(days=2)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        single = invoice_approve(
            invoice=invoice_view_record(
                invoice=make_invoice(
                    connection=connection, actor=supplier_user, lines=_lines()
                ),
                actor=tenant.department_staff,
            ),
            actor=tenant.department_staff,
            inspection_date=day,
        )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            BULK_APPROVE, _approve_data(*opened, day=day, **CONFIRMED), follow=True
        )

    assert response.redirect_chain == [(INBOX, 302)]
    assert _messages(response) == ["3 件の請求書を承認しました。"]
    (expected,) = _events(single, EventKind.APPROVED)
    for invoice in _fresh(*opened):
        assert (invoice.status, invoice.inspection_date) == (
            InvoiceStatus.APPROVED,
            day,
        )
        (event,) = _events(invoice, EventKind.APPROVED)
        assert (event.actor, event.from_status, event.to_status, event.data) == (
            expected.actor,
            expected.from_status,
            expected.to_status,
            expected.data,
        )
    assert len(mail.outbox) == 3  # one approval notice per invoice


def test_bulk_approve_with_one_unopened_invoice_approves_none(
    staff, opened, issued_invoice
):
    mail.outbox.clear()  # the issue notice
    response = staff.post(
        BULK_APPROVE, _approve_data(*opened, issued_invoice, **CONFIRMED)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f"請求書 {issued_invoice.number}（事務用品）: まだ開封されていません。" in page
    )
    assert "まとめて承認を確定する" not in page
    assert _statuses(*opened) == [InvoiceStatus.OPENED] * 3
    for invoice in opened:
        assert _events(invoice, EventKind.APPROVED) == []
    assert mail.outbox == []


def test_bulk_approve_names_an_invoice_of_the_users_own_supplier(
    staff, tenant, opened, connection
):
    membership = SupplierMembershipFactory(
        supplier=connection.supplier, role=SupplierRole.CLERK
    )
    StaffMembershipFactory(
        user=membership.user,
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    )
    staff.force_login(membership.user)

    response = staff.post(BULK_APPROVE, _approve_data(*opened, **CONFIRMED))

    page = response.content.decode()
    assert "発行元（取引先" in page
    assert page.count("開封・差戻し・承認はできません") == 3
    assert _statuses(*opened) == [InvoiceStatus.OPENED] * 3


def test_bulk_approve_of_another_departments_invoice_is_404_and_approves_nothing(
    staff, tenant, opened, supplier_user, other_supplier_user
):
    with scopes_disabled():
        sibling = make_invoice(
            connection=ConnectionFactory(
                supplier=supplier_user.supplier_membership.supplier,
                department=tenant.other_department,
            ),
            actor=supplier_user,
        )
        foreign = make_invoice(
            connection=other_supplier_user.supplier_membership.supplier.connections.get(),
            actor=other_supplier_user,
        )
        # Opened by their own departments.
        Invoice.objects.filter(pk__in=_ids(sibling, foreign)).update(
            status=InvoiceStatus.OPENED
        )

    for intruder in (sibling, foreign):
        data = _approve_data(*opened, intruder, **CONFIRMED)
        assert staff.post(BULK_APPROVE, data).status_code == 404
        assert staff.get(BULK_APPROVE, _approve_data(intruder)).status_code == 404
    assert _statuses(*opened, sibling, foreign) == [InvoiceStatus.OPENED] * 5


def test_bulk_approve_with_a_future_date_asks_for_another(staff, opened):
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = staff.post(
        BULK_APPROVE, _approve_data(*opened, day=tomorrow, **CONFIRMED)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "検収日に未来の日付は指定できません。" in page
    assert 'type="date" name="inspection_date"' in page
    assert _statuses(*opened) == [InvoiceStatus.OPENED] * 3


def test_bulk_approve_with_nothing_ticked_goes_back_to_the_inbox(staff, opened):
    response = staff.post(
        BULK_APPROVE,
        {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED},
        follow=True,
    )

    assert response.redirect_chain == [(INBOX, 302)]
    assert _messages(response) == ["承認する請求書を選んでください。"]


def test_the_bulk_approve_service_is_all_or_nothing(
    tenant, opened, issued_invoice, django_capture_on_commit_callbacks
):
    mail.outbox.clear()  # the issue notice
    with (
        scopes_disabled(),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(BulkError) as excinfo,
    ):
        invoices_approve(
            invoices=[*opened, issued_invoice],
            actor=tenant.department_staff,
            inspection_date=timezone.localdate(),
        )

    assert [p.invoice.pk for p in excinfo.value.problems] == [issued_invoice.pk]
    assert _statuses(*opened) == [InvoiceStatus.OPENED] * 3
    assert mail.outbox == []
