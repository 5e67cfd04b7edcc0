"""Irreversible invoice actions ask first (invoices/views/confirm.py): for
issue, withdraw, return and approve, GET shows a confirmation page with the
invoice, its amount, its addressee and the consequence; a POST without the
confirmation field shows that page and changes nothing; only the confirmed
POST acts. The pages' forms are marked for the dialog of
static/js/confirm.js (tested in the browser, tests/browser/test_confirm.py).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.services.decisions import invoice_view_record
from invoices.views.supplier import ALREADY_ISSUED, WITHDRAW_OPENED
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

CONFIRMED = {"confirmed": "1"}
RETURN = {
    "reason": "amount",
    "explanation": "単価が契約と異なります。\n契約書の単価で再発行してください。",
    "severity": "serious",
}
CONFIRM_FIELD = '<input type="hidden" name="confirmed" value="1">'


def _fresh(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def _events(invoice) -> list[str]:
    with scopes_disabled():
        return list(
            InvoiceEvent.objects.filter(invoice=invoice)
            .order_by("pk")
            .values_list("kind", flat=True)
        )


def _page(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _supplier_url(name, invoice):
    return reverse(f"supplier:{name}", args=[invoice.pk])


def _city_url(name, invoice):
    return reverse(f"city:{name}", args=[invoice.municipality.slug, invoice.pk])


def _assert_summary(page: str, invoice) -> None:
    """The confirmation page names the invoice, its amount and addressee,
    and sends the form again with the confirmation field."""
    assert invoice.number in page
    assert invoice.subject in page
    assert f"{invoice.total:,.0f}円" in page
    assert f"{invoice.municipality.name} {invoice.department.name}" in page
    assert CONFIRM_FIELD in page
    assert "data-confirm-page" in page


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def draft(connection, supplier_user):
    with scopes_disabled():
        return make_invoice(connection=connection, actor=supplier_user, issue=False)


@pytest.fixture
def staff(client, tenant):
    client.force_login(tenant.department_staff)
    return client


@pytest.fixture
def opened_invoice(tenant, issued_invoice):
    with scopes_disabled():
        invoice = invoice_view_record(
            invoice=issued_invoice, actor=tenant.department_staff
        )
    mail.outbox.clear()  # the issue notice
    return invoice


# Issue (発行) ----------------------------------------------------------------


def test_issue_get_shows_what_will_be_sent_to_whom(member, draft):
    response = member.get(_supplier_url("invoice_issue", draft))

    assert response.status_code == 200
    page = _page(response)
    _assert_summary(page, draft)
    assert "内容は変更も削除もできなくなります" in page
    assert "発行を確定する" in page
    assert f'href="{_supplier_url("invoice", draft)}"' in page  # やめる
    assert _fresh(draft).status == InvoiceStatus.DRAFT


def test_issue_post_without_confirmation_only_asks(member, draft):
    response = member.post(_supplier_url("invoice_issue", draft))

    assert response.status_code == 200
    _assert_summary(_page(response), draft)
    invoice = _fresh(draft)
    assert (invoice.status, invoice.receipt_number) == (InvoiceStatus.DRAFT, "")
    assert EventKind.ISSUED not in _events(draft)
    assert mail.outbox == []


def test_issue_post_with_confirmation_issues(
    member, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(_supplier_url("invoice_issue", draft), CONFIRMED)

    assert response["Location"] == _supplier_url("invoice", draft)
    assert _fresh(draft).status == InvoiceStatus.ISSUED
    assert _events(draft).count(EventKind.ISSUED) == 1
    assert len(mail.outbox) == 1


def test_issue_confirmation_of_an_issued_invoice_says_so(member, issued_invoice):
    response = member.get(_supplier_url("invoice_issue", issued_invoice), follow=True)

    assert response.redirect_chain == [(_supplier_url("invoice", issued_invoice), 302)]
    assert _messages(response) == [ALREADY_ISSUED]


def test_issue_confirmation_of_a_draft_with_problems_names_them(
    member, draft, supplier_user
):
    supplier = supplier_user.supplier_membership.supplier
    supplier.registration_number = ""
    supplier.save()

    response = member.get(_supplier_url("invoice_issue", draft), follow=True)

    assert response.redirect_chain == [(_supplier_url("invoice", draft), 302)]
    assert any("登録番号が必要です" in m for m in _messages(response))


def test_the_draft_page_marks_the_issue_form_for_the_dialog(member, draft):
    page = _page(member.get(_supplier_url("invoice", draft)))

    action = _supplier_url("invoice_issue", draft)
    assert f'action="{action}" data-confirm>' in page
    assert "js/confirm.js" in page


# Withdraw (取下げ) ------------------------------------------------------------


def test_withdraw_get_shows_the_consequence(member, issued_invoice):
    response = member.get(_supplier_url("invoice_withdraw", issued_invoice))

    assert response.status_code == 200
    page = _page(response)
    _assert_summary(page, issued_invoice)
    assert issued_invoice.receipt_number in page
    assert "取り下げた請求書は元に戻せません" in page
    assert "取下げを確定する" in page


def test_withdraw_post_without_confirmation_only_asks(member, issued_invoice):
    response = member.post(_supplier_url("invoice_withdraw", issued_invoice))

    assert response.status_code == 200
    assert CONFIRM_FIELD in _page(response)
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED
    assert EventKind.WITHDRAWN not in _events(issued_invoice)


def test_withdraw_post_with_confirmation_withdraws(member, issued_invoice):
    response = member.post(
        _supplier_url("invoice_withdraw", issued_invoice), CONFIRMED, follow=True
    )

    assert _messages(response) == ["請求書を取り下げました。"]
    assert _fresh(issued_invoice).status == InvoiceStatus.WITHDRAWN
    # A second confirmed click changes nothing more.
    member.post(_supplier_url("invoice_withdraw", issued_invoice), CONFIRMED)
    assert _events(issued_invoice).count(EventKind.WITHDRAWN) == 1


def test_withdraw_confirmation_of_an_opened_invoice_explains_why_not(
    member, opened_invoice
):
    url = _supplier_url("invoice_withdraw", opened_invoice)
    for response in (member.get(url, follow=True), member.post(url, follow=True)):
        assert _messages(response) == [WITHDRAW_OPENED]
    assert _fresh(opened_invoice).status == InvoiceStatus.OPENED


# Return (差戻し) --------------------------------------------------------------


def test_return_get_shows_the_invoice_and_the_form_and_records_nothing(
    staff, issued_invoice
):
    events = _events(issued_invoice)

    response = staff.get(_city_url("invoice_return", issued_invoice))

    assert response.status_code == 200
    page = _page(response)
    _assert_summary(page, issued_invoice)
    assert issued_invoice.supplier.legal_name in page
    assert 'name="explanation"' in page  # to fill in here
    assert "差戻しは取り消せません" in page
    # Asking opens nothing and is no look at the invoice.
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED
    assert _events(issued_invoice) == events


def test_return_post_without_confirmation_shows_the_reason_and_changes_nothing(
    staff, opened_invoice
):
    response = staff.post(_city_url("invoice_return", opened_invoice), RETURN)

    assert response.status_code == 200
    page = _page(response)
    _assert_summary(page, opened_invoice)
    assert "金額の誤り" in page
    assert "重大（再提出から起算）" in page
    assert "契約書の単価で再発行してください。" in page
    assert 'type="hidden" name="explanation"' in page
    assert "差戻しを確定する" in page
    invoice = _fresh(opened_invoice)
    assert (invoice.status, invoice.return_reason) == (InvoiceStatus.OPENED, "")
    assert EventKind.RETURNED not in _events(opened_invoice)
    assert mail.outbox == []


def test_return_post_with_confirmation_returns(staff, opened_invoice):
    response = staff.post(
        _city_url("invoice_return", opened_invoice), {**RETURN, **CONFIRMED}
    )

    assert response["Location"] == _city_url("invoice", opened_invoice)
    invoice = _fresh(opened_invoice)
    assert (invoice.status, invoice.return_severity) == (
        InvoiceStatus.RETURNED,
        "serious",
    )
    assert invoice.return_explanation == RETURN["explanation"]


def test_return_without_confirmation_and_with_an_error_shows_the_invoice_page(
    staff, opened_invoice
):
    response = staff.post(
        _city_url("invoice_return", opened_invoice), {**RETURN, "explanation": ""}
    )

    assert response.status_code == 200
    page = _page(response)
    assert "差戻しの説明を入力してください。" in page
    assert CONFIRM_FIELD not in page
    assert _fresh(opened_invoice).status == InvoiceStatus.OPENED


# Approve (承認) ---------------------------------------------------------------


def test_approve_get_shows_the_invoice_and_the_inspection_date(staff, issued_invoice):
    response = staff.get(_city_url("invoice_approve", issued_invoice))

    assert response.status_code == 200
    page = _page(response)
    _assert_summary(page, issued_invoice)
    assert f'value="{timezone.localdate().isoformat()}"' in page
    assert "承認は取り消せません" in page
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED


def test_approve_post_without_confirmation_shows_the_date_and_changes_nothing(
    staff, opened_invoice
):
    inspected = timezone.localdate() - timedelta(days=3)

    response = staff.post(
        _city_url("invoice_approve", opened_invoice),
        {"inspection_date": inspected.isoformat()},
    )

    assert response.status_code == 200
    page = _page(response)
    _assert_summary(page, opened_invoice)
    assert f"{inspected.year}年{inspected.month}月{inspected.day}日" in page
    assert f'type="hidden" name="inspection_date" value="{inspected}"' in page
    assert "承認を確定する" in page
    invoice = _fresh(opened_invoice)
    assert (invoice.status, invoice.inspection_date) == (InvoiceStatus.OPENED, None)
    assert EventKind.APPROVED not in _events(opened_invoice)
    assert mail.outbox == []


def test_approve_post_with_confirmation_approves_once(staff, opened_invoice):
    data = {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED}

    first = staff.post(_city_url("invoice_approve", opened_invoice), data)
    second = staff.post(_city_url("invoice_approve", opened_invoice), data)

    assert first["Location"] == second["Location"]
    assert _fresh(opened_invoice).status == InvoiceStatus.APPROVED
    assert _events(opened_invoice).count(EventKind.APPROVED) == 1


def test_a_future_inspection_date_is_refused_before_the_confirmation(
    staff, opened_invoice
):
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = staff.post(
        _city_url("invoice_approve", opened_invoice),
        {"inspection_date": tomorrow.isoformat()},
    )

    page = _page(response)
    assert "検収日に未来の日付は指定できません。" in page
    assert CONFIRM_FIELD not in page


def test_asking_about_a_decided_invoice_explains_its_state(
    staff, opened_invoice, tenant
):
    data = {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED}
    staff.post(_city_url("invoice_approve", opened_invoice), data)

    for name in ("invoice_approve", "invoice_return"):
        response = staff.get(_city_url(name, opened_invoice), follow=True)
        assert response.redirect_chain == [(_city_url("invoice", opened_invoice), 302)]
        assert any("「承認済」のため" in m for m in _messages(response))


def test_the_invoice_page_marks_both_decisions_for_the_dialog(staff, issued_invoice):
    page = _page(staff.get(_city_url("invoice", issued_invoice)))

    for name in ("invoice_approve", "invoice_return"):
        action = _city_url(name, issued_invoice)
        assert f'action="{action}" novalidate data-confirm>' in page


@pytest.mark.parametrize("role", ["treasury", "city_admin"])
def test_only_the_departments_staff_get_the_confirmation_page(
    client, tenant, issued_invoice, role
):
    client.force_login(getattr(tenant, role))

    for name in ("invoice_approve", "invoice_return"):
        assert client.get(_city_url(name, issued_invoice)).status_code == 404
