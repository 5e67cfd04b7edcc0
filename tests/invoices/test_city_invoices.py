"""The city staff's invoice pages: the inbox (filters, order, paging,
deadlines), opening, returning and approving, and who may see or act."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import (
    EventKind,
    Invoice,
    InvoiceAttachment,
    InvoiceEvent,
    InvoiceStatus,
)
from invoices.services.decisions import invoice_view_record
from invoices.services.drafts import LineInput, invoice_copy
from invoices.services.issue import invoice_issue
from municipality.models import StaffRole
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    make_invoice,
)

pytestmark = pytest.mark.django_db

SLUG = "kanoya"


def _lines(unit_price):
    return [LineInput("業務委託", Decimal(1), Decimal(unit_price), "S", "式")]


@pytest.fixture
def issue(connection, supplier_user, django_capture_on_commit_callbacks):
    """Issue an invoice through the services (on ``connection`` unless
    another is given) and return it fresh from the database."""

    def _issue(conn=None, *, unit_price="1000", **fields):
        conn = conn or connection
        with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
            invoice = make_invoice(
                connection=conn,
                actor=supplier_user,
                lines=_lines(unit_price),
                **fields,
            )
            return Invoice.objects.get(pk=invoice.pk)

    return _issue


def _set(invoice, **fields):
    """Change stored fields directly, as time passing would."""
    Invoice.objects.with_scopes_disabled().filter(pk=invoice.pk).update(**fields)


def _open(invoice, actor):
    with scopes_disabled():
        return invoice_view_record(invoice=invoice, actor=actor)


def _inbox(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("city:inbox", args=[SLUG]), params)
    assert response.status_code == 200
    return response


def _listed(response):
    return [invoice.pk for invoice in response.context["invoices"]]


def _url(name, invoice):
    return reverse(f"city:{name}", args=[invoice.municipality.slug, invoice.pk])


def _events(invoice, kind):
    with scopes_disabled():
        return InvoiceEvent.objects.filter(invoice=invoice, kind=kind).count()


def _fresh(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def _page(response):
    return response.content.decode()


# The inbox


def test_inbox_lists_unopened_first_and_marks_them_in_words(client, tenant, issue):
    older_unopened = issue()
    opened = issue()
    _open(opened, tenant.department_staff)
    newer_unopened = issue()
    _set(older_unopened, received_at=timezone.now() - timedelta(days=3))

    response = _inbox(client, tenant.department_staff)

    assert _listed(response) == [newer_unopened.pk, older_unopened.pk, opened.pk]
    page = _page(response)
    assert page.count("● 未開封") == 2
    assert "開封済" in page


def test_inbox_shows_only_the_staff_members_departments(client, tenant, issue):
    own = issue()
    sibling = issue(ConnectionFactory(department=tenant.other_department))

    listed = _listed(_inbox(client, tenant.department_staff))

    assert own.pk in listed
    assert sibling.pk not in listed


@pytest.mark.parametrize("role", ["treasury", "city_admin"])
def test_treasury_and_city_admin_see_every_department(client, tenant, issue, role):
    own = issue()
    sibling = issue(ConnectionFactory(department=tenant.other_department))

    response = _inbox(client, getattr(tenant, role))

    assert set(_listed(response)) == {own.pk, sibling.pk}
    assert "承認・差戻しは宛先部署の職員が行います" in _page(response)


def test_inbox_filters_by_status_and_unopened(client, tenant, issue):
    unopened = issue()
    opened = issue()
    _open(opened, tenant.department_staff)
    user = tenant.department_staff

    assert _listed(_inbox(client, user, status="opened")) == [opened.pk]
    assert _listed(_inbox(client, user, unopened="on")) == [unopened.pk]


def test_inbox_filters_by_supplier_name_kana_and_registration_number(
    client, tenant, issue
):
    supplier = SupplierFactory(
        legal_name="株式会社さくら文具",
        name_kana="サクラブング",
        registration_number="T1234567890123",
    )
    wanted = issue(ConnectionFactory(supplier=supplier, department=tenant.department))
    other = issue()
    user = tenant.department_staff

    for text in (
        "さくら文具",
        "さくらぶんぐ",
        "１２３４５６７８９０１２３",
        "t1234567890123",
    ):
        listed = _listed(_inbox(client, user, counterparty=text))
        assert listed == [wanted.pk], text
    assert other.pk not in _listed(_inbox(client, user, counterparty="サクラ"))


def test_inbox_filters_by_received_date_range(client, tenant, issue):
    now = timezone.now()
    old, middle, new = issue(), issue(), issue()
    _set(old, received_at=now - timedelta(days=20))
    _set(middle, received_at=now - timedelta(days=10))
    today = timezone.localdate()

    response = _inbox(
        client,
        tenant.department_staff,
        received_from=(today - timedelta(days=15)).isoformat(),
        received_to=(today - timedelta(days=5)).isoformat(),
    )

    assert _listed(response) == [middle.pk]
    assert new.pk not in _listed(
        _inbox(
            client,
            tenant.department_staff,
            received_to=(today - timedelta(days=1)).isoformat(),
        )
    )


def test_inbox_filters_by_transaction_date_range(client, tenant, issue):
    today = timezone.localdate()
    april = issue(transaction_date=today - timedelta(days=40))
    recent = issue(transaction_date=today - timedelta(days=2))

    response = _inbox(
        client,
        tenant.department_staff,
        date_from=(today - timedelta(days=45)).isoformat(),
        date_to=(today - timedelta(days=30)).isoformat(),
    )

    assert _listed(response) == [april.pk]
    assert recent.pk not in _listed(response)


def test_inbox_filters_by_amount_range(client, tenant, issue):
    small = issue(unit_price="1000")  # 1,100 yen with tax
    large = issue(unit_price="100000")  # 110,000 yen
    user = tenant.department_staff

    assert _listed(_inbox(client, user, amount_min="100000")) == [large.pk]
    assert _listed(_inbox(client, user, amount_max="1,100")) == [small.pk]
    assert _listed(_inbox(client, user, amount_min="1100", amount_max="1100")) == [
        small.pk
    ]


def test_inbox_filters_by_department_among_the_staff_members_own(client, tenant, issue):
    third = DepartmentFactory(municipality=tenant.municipality)
    user = StaffMembershipFactory(
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department, tenant.other_department],
    ).user
    own = issue()
    sibling = issue(ConnectionFactory(department=tenant.other_department))
    issue(ConnectionFactory(department=third))

    response = _inbox(client, user, department=tenant.other_department.pk)

    assert _listed(response) == [sibling.pk]
    offered = dict(response.context["filter_form"].fields["department"].choices)
    assert set(offered) == {"", tenant.department.pk, tenant.other_department.pk}
    refused = _inbox(client, user, department=third.pk)
    assert "department" in refused.context["filter_form"].errors
    assert _listed(refused) == []
    assert own.pk in _listed(_inbox(client, user))


def test_single_department_staff_are_not_offered_a_department_filter(
    client, tenant, issue
):
    response = _inbox(client, tenant.department_staff)

    assert "department" not in response.context["filter_form"].fields
    assert reverse("city:department", args=[SLUG, tenant.department.code]) in _page(
        response
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount_min": "5000", "amount_max": "1000"}, "amount_max"),
        ({"amount_min": "千円"}, "amount_min"),
        ({"received_from": "2025-02-30"}, "received_from"),
        ({"received_from": "2025-04-10", "received_to": "2025-04-01"}, "received_to"),
        ({"date_from": "2025-04-10", "date_to": "2025-04-01"}, "date_to"),
    ],
)
def test_inbox_explains_bad_filters_in_japanese_and_lists_nothing(
    client, tenant, issue, params, field
):
    issue()

    response = _inbox(client, tenant.department_staff, **params)

    errors = response.context["filter_form"].errors[field]
    assert re.search(r"[ぁ-んァ-ン一-龥]", errors[0])
    page = _page(response)
    assert errors[0] in page
    assert "絞り込みの条件に誤りがあります" in page
    assert _listed(response) == []


def test_inbox_empty_states(client, tenant, issue):
    user = tenant.department_staff
    assert "まだ請求書は届いていません" in _page(_inbox(client, user))
    issue()
    page = _page(_inbox(client, user, counterparty="該当なし商店"))
    assert "条件に合う請求書はありません" in page


def test_staff_without_departments_are_told_so(client, tenant):
    user = StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.DEPARTMENT
    ).user

    assert "担当部署が設定されていません" in _page(_inbox(client, user))


@pytest.mark.parametrize(
    ("sort", "expected"), [("deadline", [1, 2, 0]), ("-deadline", [0, 2, 1])]
)
def test_inbox_sorts_by_payment_deadline(client, tenant, issue, sort, expected):
    today = timezone.localdate()
    invoices = [issue(), issue(), issue()]
    for invoice, days in zip(invoices, (30, 3, 10), strict=True):
        _set(invoice, payment_deadline=today + timedelta(days=days))

    response = _inbox(client, tenant.department_staff, sort=sort)

    assert _listed(response) == [invoices[i].pk for i in expected]


def test_inbox_sorts_by_amount_and_supplier(client, tenant, issue):
    cheap = issue(unit_price="500")
    dear = issue(
        ConnectionFactory(
            supplier=SupplierFactory(name_kana="アオバ"), department=tenant.department
        ),
        unit_price="9000",
    )
    user = tenant.department_staff

    assert _listed(_inbox(client, user, sort="-amount")) == [dear.pk, cheap.pk]
    assert _listed(_inbox(client, user, sort="amount")) == [cheap.pk, dear.pk]
    assert _listed(_inbox(client, user, sort="supplier")) == [dear.pk, cheap.pk]


def test_inbox_marks_deadlines_near_and_past_in_words(client, tenant, issue):
    today = timezone.localdate()
    overdue, soon, later, returned = issue(), issue(), issue(), issue()
    _set(overdue, payment_deadline=today - timedelta(days=1))
    _set(soon, payment_deadline=today + timedelta(days=7))
    _set(later, payment_deadline=today + timedelta(days=8))
    _set(
        returned,
        payment_deadline=today - timedelta(days=1),
        status=InvoiceStatus.RETURNED,
    )

    page = _page(_inbox(client, tenant.department_staff))

    assert page.count("期限超過") == 1
    assert page.count("期限まで7日以内") == 1


def test_inbox_pages_by_50_and_keeps_filters_in_page_links(client, tenant, issue):
    for _ in range(52):
        issue()
    user = tenant.department_staff

    first = _inbox(client, user)
    assert len(_listed(first)) == 50
    assert first.context["paginator"].count == 52

    small = _inbox(client, user, per_page="20", status="issued", sort="amount")
    assert len(_listed(small)) == 20
    next_link = re.search(r'href="(\?[^"]*)" rel="next"', _page(small)).group(1)
    assert "status=issued" in next_link
    assert "sort=amount" in next_link
    assert "per_page=20" in next_link
    assert "after=" in next_link
    second = client.get(reverse("city:inbox", args=[SLUG]) + unescape(next_link))
    assert len(_listed(second)) == 20
    last_link = re.search(r'href="(\?[^"]*)" rel="next"', _page(second)).group(1)
    last = client.get(reverse("city:inbox", args=[SLUG]) + unescape(last_link))
    assert len(_listed(last)) == 12
    assert 'rel="next"' not in _page(last)


def test_inbox_uses_a_constant_number_of_queries(
    client, tenant, issue, django_assert_max_num_queries
):
    connections = [
        ConnectionFactory(department=department)
        for department in (tenant.department, tenant.other_department)
        for _ in range(2)
    ]
    client.force_login(tenant.city_admin)
    url = reverse("city:inbox", args=[SLUG])

    def grow(n):
        for i in range(n):
            invoice = issue(connections[i % len(connections)])
            if i % 2:
                _open(invoice, tenant.department_staff)

    grow(5)
    with CaptureQueriesContext(db_connection) as few:
        assert client.get(url, {"per_page": "100"}).status_code == 200
    grow(55)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url, {"per_page": "100"})
    assert len(_listed(response)) == 60


# Opening and history


def test_first_view_opens_the_invoice_and_mails_the_supplier(
    client, tenant, issued_invoice, supplier_user, django_capture_on_commit_callbacks
):
    staff = tenant.department_staff
    client.force_login(staff)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(_url("invoice", issued_invoice))

    assert response.status_code == 200
    invoice = _fresh(issued_invoice)
    assert invoice.status == InvoiceStatus.OPENED
    assert invoice.opened_by == staff
    assert invoice.opened_at is not None
    (message,) = mail.outbox
    assert message.to == [supplier_user.email]
    assert "請求書が開封されました" in message.subject
    page = _page(response)
    assert "開封" in page
    assert staff.name in page


def test_later_views_are_logged_and_listed_in_the_history(
    client, tenant, issued_invoice, django_capture_on_commit_callbacks
):
    client.force_login(tenant.department_staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(_url("invoice", issued_invoice))
    opened_at = _fresh(issued_invoice).opened_at
    mail.outbox.clear()

    client.force_login(tenant.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(_url("invoice", issued_invoice))
        response = client.get(_url("invoice", issued_invoice))

    assert _events(issued_invoice, EventKind.OPENED) == 1
    assert _events(issued_invoice, EventKind.VIEWED) == 2
    assert _fresh(issued_invoice).opened_at == opened_at
    assert mail.outbox == []
    history = _page(response).split('id="history-heading"')[1]
    assert history.count("閲覧") == 2
    assert tenant.city_admin.email in history


def test_detail_shows_the_payment_deadline_and_its_urgency(
    client, tenant, issued_invoice
):
    deadline = timezone.localdate() + timedelta(days=2)
    _set(issued_invoice, payment_deadline=deadline)
    client.force_login(tenant.department_staff)

    page = _page(client.get(_url("invoice", issued_invoice)))

    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in page
    assert "期限まで7日以内" in page


# Returning


# Confirmed (the confirmation step's field): without it nothing would act.
CONFIRMED = {"confirmed": "1"}
RETURN = {
    "reason": "amount",
    "explanation": "単価が契約と異なります。契約書の単価で再発行してください。",
    "severity": "minor",
    **CONFIRMED,
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("reason", "差戻しの理由を選んでください。"),
        ("explanation", "差戻しの説明を入力してください。"),
        ("severity", "誤りの程度（軽微・重大）を選んでください。"),
    ],
)
def test_return_requires_each_field(client, tenant, issued_invoice, missing, message):
    client.force_login(tenant.department_staff)

    response = client.post(
        _url("invoice_return", issued_invoice), {**RETURN, missing: ""}
    )

    assert response.status_code == 200
    assert message in _page(response)
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED
    assert _events(issued_invoice, EventKind.RETURNED) == 0


def test_return_with_a_blank_explanation_is_refused_by_the_service(
    client, tenant, issued_invoice
):
    client.force_login(tenant.department_staff)

    response = client.post(
        _url("invoice_return", issued_invoice), {**RETURN, "explanation": "　 "}
    )

    assert "差戻しの説明を入力してください。" in _page(response)
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED


def test_return_records_the_reason_keeps_the_invoice_and_notifies_the_supplier(
    client, tenant, issued_invoice, supplier_user, django_capture_on_commit_callbacks
):
    staff = tenant.department_staff
    client.force_login(staff)
    client.get(_url("invoice", issued_invoice))
    before = _fresh(issued_invoice)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("invoice_return", issued_invoice), {**RETURN, "severity": "serious"}
        )

    assert response.status_code == 302
    assert response["Location"] == _url("invoice", issued_invoice)
    invoice = _fresh(issued_invoice)
    assert invoice.status == InvoiceStatus.RETURNED
    assert (invoice.return_reason, invoice.return_severity) == ("amount", "serious")
    assert invoice.return_explanation == RETURN["explanation"]
    assert (invoice.content_hash, invoice.total) == (before.content_hash, before.total)
    assert invoice.snapshot == before.snapshot
    assert _events(invoice, EventKind.RETURNED) == 1
    (message,) = mail.outbox
    assert message.to == [supplier_user.email]
    assert "請求書が差戻しされました" in message.subject
    page = _page(client.get(response["Location"]))
    assert "差し戻しました" in page
    assert "金額の誤り" in page
    assert "差し戻す" not in page


def test_return_form_explains_the_effect_on_the_payment_deadline(
    client, tenant, issued_invoice
):
    client.force_login(tenant.department_staff)

    page = _page(client.get(_url("invoice", issued_invoice)))

    assert "支払期限に数えず" in page
    assert "受付日から数え直します" in page


def test_staff_and_supplier_both_see_the_correction_chain(
    client, tenant, issued_invoice, supplier_user, django_capture_on_commit_callbacks
):
    client.force_login(tenant.department_staff)
    client.post(_url("invoice_return", issued_invoice), RETURN)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        draft = invoice_copy(
            invoice=_fresh(issued_invoice), actor=supplier_user, corrects=True
        )
        correction = invoice_issue(invoice=draft, actor=supplier_user)

    staff_page = _page(client.get(_url("invoice", correction)))
    client.force_login(supplier_user)
    supplier_page = _page(client.get(reverse("supplier:invoice", args=[correction.pk])))

    for page in (staff_page, supplier_page):
        assert "訂正の経緯" in page
        assert issued_invoice.number in page
        assert correction.number in page


# Approving


def test_approve_with_an_inspection_date_notifies_the_supplier(
    client, tenant, issued_invoice, supplier_user, django_capture_on_commit_callbacks
):
    client.force_login(tenant.department_staff)
    client.get(_url("invoice", issued_invoice))
    mail.outbox.clear()
    inspected = timezone.localdate() - timedelta(days=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("invoice_approve", issued_invoice),
            {"inspection_date": inspected.isoformat(), **CONFIRMED},
        )

    assert response.status_code == 302
    invoice = _fresh(issued_invoice)
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.inspection_date == inspected
    assert _events(invoice, EventKind.APPROVED) == 1
    (message,) = mail.outbox
    assert "請求書が承認されました" in message.subject


def test_approve_form_defaults_to_today(client, tenant, issued_invoice):
    client.force_login(tenant.department_staff)

    response = client.get(_url("invoice", issued_invoice))

    field = response.context["approve_form"]["inspection_date"]
    assert field.value() == timezone.localdate()
    assert f'value="{timezone.localdate().isoformat()}"' in _page(response)


def test_approve_refuses_a_future_inspection_date(client, tenant, issued_invoice):
    client.force_login(tenant.department_staff)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        _url("invoice_approve", issued_invoice),
        {"inspection_date": tomorrow.isoformat(), **CONFIRMED},
    )

    assert response.status_code == 200
    assert "検収日に未来の日付は指定できません。" in _page(response)
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED
    assert _events(issued_invoice, EventKind.APPROVED) == 0


def test_approve_requires_an_inspection_date(client, tenant, issued_invoice):
    client.force_login(tenant.department_staff)

    response = client.post(_url("invoice_approve", issued_invoice), {})

    assert "検収日を入力してください。" in _page(response)


def test_double_submit_approves_once_and_explains_the_second(
    client, tenant, issued_invoice
):
    client.force_login(tenant.department_staff)
    data = {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED}

    client.post(_url("invoice_approve", issued_invoice), data)
    response = client.post(_url("invoice_approve", issued_invoice), data, follow=True)

    assert response.redirect_chain[-1][0] == _url("invoice", issued_invoice)
    assert "画面を更新して状態を確認してください" in _page(response)
    assert _events(issued_invoice, EventKind.APPROVED) == 1


def test_return_after_a_colleague_approved_changes_nothing(
    client, tenant, issued_invoice
):
    colleague = StaffMembershipFactory(
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.department],
    ).user
    client.force_login(colleague)
    client.post(
        _url("invoice_approve", issued_invoice),
        {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED},
    )
    client.force_login(tenant.department_staff)

    response = client.post(_url("invoice_return", issued_invoice), RETURN, follow=True)

    assert "「承認済」のため" in _page(response)
    invoice = _fresh(issued_invoice)
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.return_reason == ""
    assert _events(invoice, EventKind.RETURNED) == 0


# Who may see and act


@pytest.mark.parametrize("role", ["treasury", "city_admin"])
def test_treasury_and_city_admin_read_but_cannot_act(
    client, tenant, issued_invoice, role
):
    client.force_login(getattr(tenant, role))

    page = _page(client.get(_url("invoice", issued_invoice)))
    assert "承認する" not in page
    assert "差し戻す" not in page
    assert "閲覧のみ" in page
    for name, data in (
        ("invoice_return", RETURN),
        (
            "invoice_approve",
            {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED},
        ),
    ):
        assert client.post(_url(name, issued_invoice), data).status_code == 404
    # Reading along does not open it: the department still sees it unopened.
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED
    with scopes_disabled():
        assert issued_invoice.events.filter(kind=EventKind.VIEWED).exists()


def test_department_staff_get_404_for_another_departments_invoice(
    client, tenant, issue
):
    sibling = issue(ConnectionFactory(department=tenant.other_department))
    client.force_login(tenant.department_staff)

    assert client.get(_url("invoice", sibling)).status_code == 404
    assert client.post(_url("invoice_return", sibling), RETURN).status_code == 404
    assert (
        client.post(
            _url("invoice_approve", sibling),
            {"inspection_date": timezone.localdate().isoformat(), **CONFIRMED},
        ).status_code
        == 404
    )
    assert _fresh(sibling).status == InvoiceStatus.ISSUED


@pytest.mark.parametrize("role", ["department_staff", "treasury", "city_admin"])
def test_another_municipalitys_staff_get_404(
    client, other_tenant, issued_invoice, role
):
    client.force_login(getattr(other_tenant, role))
    other_slug = other_tenant.municipality.slug

    # Their own municipality's URLs with our invoice, and ours.
    for slug in (other_slug, SLUG):
        args = [slug, issued_invoice.pk]
        assert client.get(reverse("city:invoice", args=args)).status_code == 404
        for name in ("invoice_return", "invoice_approve"):
            url = reverse(f"city:{name}", args=args)
            assert client.post(url, RETURN).status_code == 404
    assert issued_invoice.pk not in _listed(
        client.get(reverse("city:inbox", args=[other_slug]))
    )
    assert _fresh(issued_invoice).status == InvoiceStatus.ISSUED


def test_supplier_users_get_404_on_city_pages(client, supplier_user, issued_invoice):
    client.force_login(supplier_user)

    assert client.get(reverse("city:inbox", args=[SLUG])).status_code == 404
    for name in ("invoice", "invoice_return", "invoice_approve"):
        assert client.post(_url(name, issued_invoice), RETURN).status_code == 404
    assert client.get(_url("invoice", issued_invoice)).status_code == 404


# Attachments


@pytest.fixture
def invoice_with_attachment(
    connection, supplier_user, django_capture_on_commit_callbacks
):
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        draft = make_invoice(connection=connection, actor=supplier_user, issue=False)
        attachment = InvoiceAttachment.objects.create(
            invoice=draft,
            file=SimpleUploadedFile("nohin.pdf", b"%PDF-1.4 test"),
            original_name="納品書.pdf",
            content_type="application/pdf",
            size=13,
            sha256="0" * 64,
        )
        invoice = invoice_issue(invoice=draft, actor=supplier_user)
    return invoice, attachment


def _attachment_url(invoice, attachment):
    return reverse(
        "city:invoice_attachment",
        args=[invoice.municipality.slug, invoice.pk, attachment.pk],
    )


@pytest.mark.parametrize("role", ["department_staff", "treasury", "city_admin"])
def test_staff_who_see_the_invoice_download_its_attachments(
    client, tenant, invoice_with_attachment, role
):
    invoice, attachment = invoice_with_attachment
    client.force_login(getattr(tenant, role))

    assert _attachment_url(invoice, attachment) in _page(
        client.get(_url("invoice", invoice))
    )
    response = client.get(_attachment_url(invoice, attachment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert _events(invoice, EventKind.DOWNLOADED) == 1


def test_attachments_stay_hidden_from_other_departments_and_invoices(
    client, tenant, other_tenant, issue, invoice_with_attachment
):
    invoice, attachment = invoice_with_attachment
    unrelated = issue()
    sibling_staff = StaffMembershipFactory(
        municipality=tenant.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[tenant.other_department],
    ).user

    client.force_login(sibling_staff)
    assert client.get(_attachment_url(invoice, attachment)).status_code == 404
    client.force_login(other_tenant.department_staff)
    assert client.get(_attachment_url(invoice, attachment)).status_code == 404
    client.force_login(tenant.department_staff)
    assert client.get(_attachment_url(unrelated, attachment)).status_code == 404
    membership = SupplierMembershipFactory()
    client.force_login(membership.user)
    assert client.get(_attachment_url(invoice, attachment)).status_code == 404
