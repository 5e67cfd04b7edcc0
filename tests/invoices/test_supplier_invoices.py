"""The supplier's invoice screens, driven through the views: entry with
lines, drafts, copy, issue, open tracking, reminders, withdrawal,
corrections, the list, and tenant isolation."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.attachments import attachment_add, attachment_check
from invoices.models import (
    EventKind,
    Invoice,
    InvoiceStatus,
    ReturnReason,
    ReturnSeverity,
)
from invoices.services.decisions import invoice_return, invoice_view_record
from invoices.services.drafts import (
    CORRECTION_ISSUED,
    invoice_correct,
    invoice_draft_save,
)
from invoices.services.issue import invoice_issue, invoice_issue_problems
from invoices.views.supplier import ALREADY_ISSUED, WITHDRAW_OPENED
from tests.factories import ConnectionFactory, DepartmentFactory, make_invoice

pytestmark = pytest.mark.django_db

# The confirmation step's field: without it, issue and withdraw only ask.
CONFIRMED = {"confirmed": "1"}

TWO_LINES = [
    {
        "description": "コピー用紙 A4",
        "quantity": "10",
        "unit": "箱",
        "unit_price": "450",
    },
    {
        "description": "お茶（来客用）",
        "quantity": "3",
        "unit": "本",
        "unit_price": "120",
        "tax_category": "AA",
    },
]


def form_data(connection, lines=TWO_LINES, **fields):
    data = {
        "connection": connection.pk,
        "number": "A-0001",
        "issue_date": "2025-04-10",
        "transaction_date": "2025-04-01",
        "transaction_end_date": "",
        "due_date": "2025-05-31",
        "subject": "事務用品",
        "notes": "",
        "price_basis": "exclusive",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, line in enumerate(lines):
        row = {"tax_category": "S", "ORDER": str(index + 1), **line}
        data.update({f"lines-{index}-{name}": value for name, value in row.items()})
    return data


def _invoices(supplier):
    with scopes_disabled():
        return list(Invoice.objects.filter(supplier=supplier).order_by("pk"))


def _lines(invoice):
    with scopes_disabled():
        return list(
            invoice.lines.order_by("position").values_list(
                "position", "description", "quantity", "unit_price", "amount"
            )
        )


def _messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def supplier(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def member(client, supplier_user):
    client.force_login(supplier_user)
    return client


@pytest.fixture
def draft(connection, supplier_user):
    with scopes_disabled():
        return make_invoice(connection=connection, actor=supplier_user, issue=False)


def _url(name, invoice=None, **kwargs):
    args = [invoice.pk] if invoice is not None else []
    return reverse(f"supplier:{name}", args=[*args, *kwargs.values()])


# Entry ---------------------------------------------------------------------


def test_new_page_suggests_a_number_and_the_suppliers_defaults(
    member, supplier, connection
):
    response = member.get(_url("invoice_new"))
    form = response.context["form"]
    assert form["number"].value().endswith("-0001")
    assert form["price_basis"].value() == supplier.default_price_basis
    # The only active connection is chosen already and labelled as printed.
    assert form["connection"].value() == connection.pk
    page = response.content.decode()
    assert f"{connection.municipality.name} {connection.department.name}" in page
    assert len(response.context["formset"].forms) == 3
    assert f'data-tax-rounding="{supplier.tax_rounding}"' in page


def test_draft_with_two_rates_stores_lines_and_totals_once_per_rate(
    member, supplier, connection
):
    response = member.post(_url("invoice_new"), form_data(connection))
    (invoice,) = _invoices(supplier)
    assert response.status_code == 302
    assert response["Location"] == _url("invoice", invoice)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.connection == connection
    assert invoice.department == connection.department
    assert _lines(invoice) == [
        (1, "コピー用紙 A4", Decimal(10), Decimal(450), Decimal(4500)),
        (2, "お茶（来客用）", Decimal(3), Decimal(120), Decimal(360)),
    ]
    # 4,500 × 10% = 450; 360 × 8% = 28.8, rounded down once: 28.
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (4860, 478, 5338)
    with scopes_disabled():
        summaries = list(
            invoice.tax_summaries.values_list(
                "tax_category", "taxable_amount", "tax_amount"
            )
        )
    assert sorted(summaries) == [("AA", 360, 28), ("S", 4500, 450)]


def test_full_width_digits_separators_and_yen_signs_are_accepted(
    member, supplier, connection
):
    lines = [
        {"description": "作業費", "quantity": "１．５", "unit_price": "￥１，２００円"},
        {"description": "部品", "quantity": "2", "unit_price": "1,234.5"},
    ]
    data = form_data(connection, lines, number="Ａ－１２")
    assert member.post(_url("invoice_new"), data).status_code == 302
    (invoice,) = _invoices(supplier)
    assert invoice.number == "A-12"
    assert [line[2:] for line in _lines(invoice)] == [
        (Decimal("1.5"), Decimal(1200), Decimal(1800)),
        (Decimal(2), Decimal("1234.5"), Decimal(2469)),
    ]


def test_a_line_error_names_the_line_and_nothing_is_saved(member, supplier, connection):
    lines = [*TWO_LINES, {"description": "ボールペン", "quantity": "5"}]
    response = member.post(_url("invoice_new"), form_data(connection, lines))
    assert response.status_code == 200
    assert "3行目: 単価を入力してください。" in response.content.decode()
    assert _invoices(supplier) == []


def test_line_numbers_in_messages_follow_the_order_shown(member, supplier, connection):
    lines = [
        {"description": "", "quantity": "1", "unit_price": "100", "ORDER": "2"},
        {"description": "先頭の行", "quantity": "1", "unit_price": "100", "ORDER": "1"},
    ]
    page = member.post(_url("invoice_new"), form_data(connection, lines))
    assert "2行目: 品名・内容を入力してください。" in page.content.decode()


def test_bad_numbers_and_dates_get_japanese_messages(member, supplier, connection):
    lines = [
        {"description": "A", "quantity": "0", "unit_price": "1"},
        {"description": "B", "quantity": "1.2345", "unit_price": "abc"},
    ]
    data = form_data(connection, lines, transaction_end_date="2025-03-01")
    page = member.post(_url("invoice_new"), data).content.decode()
    assert "1行目: 数量は0以外にしてください。" in page
    assert "2行目: 数量は小数点以下3桁までにしてください。" in page
    assert "2行目: 単価は数字で入力してください" in page
    assert "取引期間の終了日は取引日（開始日）と同じか" in page
    assert _invoices(supplier) == []


def test_lines_are_saved_in_the_chosen_order_without_removed_ones(
    member, supplier, connection
):
    lines = [
        {"description": "三番目", "quantity": "1", "unit_price": "3", "ORDER": "3"},
        {"description": "消す行", "quantity": "1", "unit_price": "9", "DELETE": "on"},
        {"description": "一番目", "quantity": "1", "unit_price": "1", "ORDER": "1"},
        {"description": "", "quantity": "", "unit_price": "", "ORDER": "4"},
        {"description": "二番目", "quantity": "1", "unit_price": "2", "ORDER": "2"},
    ]
    member.post(_url("invoice_new"), form_data(connection, lines))
    (invoice,) = _invoices(supplier)
    assert [line[:2] for line in _lines(invoice)] == [
        (1, "一番目"),
        (2, "二番目"),
        (3, "三番目"),
    ]
    assert invoice.subtotal == 6


def test_add_line_without_script_keeps_input_and_saves_nothing(
    member, supplier, connection
):
    lines = [
        {
            "description": "後の行",
            "quantity": "１",
            "unit_price": "1,000",
            "ORDER": "2",
        },
        {"description": "消す行", "quantity": "1", "unit_price": "5", "DELETE": "on"},
        {"description": "先の行", "quantity": "2", "unit_price": "", "ORDER": "1"},
    ]
    data = form_data(connection, lines, subject="入力途中", add_line="1")
    response = member.post(_url("invoice_new"), data)
    assert response.status_code == 200
    assert _invoices(supplier) == []
    formset = response.context["formset"]
    assert not formset.is_bound
    assert [f["description"].value() for f in formset.forms_in_order] == [
        "先の行",
        "後の行",
        None,
    ]
    assert formset.forms[1]["quantity"].value() == "１"
    assert response.context["form"]["subject"].value() == "入力途中"
    page = response.content.decode()
    assert "入力してください" not in page
    # The server shows the amounts without the script, too.
    assert "1,000円" in page


def test_the_number_must_be_unique_for_the_supplier(
    member, supplier, connection, issued_invoice
):
    data = form_data(connection, number=issued_invoice.number)
    response = member.post(_url("invoice_new"), data)
    assert response.context["form"].errors["number"] == [
        f"請求書番号「{issued_invoice.number}」はすでに使われています。"
        "別の番号にしてください。"
    ]
    assert _invoices(supplier) == [issued_invoice]


def test_another_supplier_may_use_the_same_number(
    member, supplier, connection, other_supplier_user
):
    other = other_supplier_user.supplier_membership.supplier
    with scopes_disabled():
        make_invoice(
            connection=other.connections.get(),
            actor=other_supplier_user,
            issue=False,
            number="A-0001",
        )
    assert member.post(_url("invoice_new"), form_data(connection)).status_code == 302


@pytest.mark.parametrize("case", ["other_supplier", "inactive", "inactive_department"])
def test_only_active_own_connections_can_be_addressed(
    member, supplier, connection, other_supplier_user, case
):
    with scopes_disabled():
        if case == "other_supplier":
            target = other_supplier_user.supplier_membership.supplier.connections.get()
        elif case == "inactive":
            target = ConnectionFactory(
                supplier=supplier,
                department=DepartmentFactory(municipality=connection.municipality),
                is_active=False,
            )
        else:
            target = ConnectionFactory(
                supplier=supplier,
                department=DepartmentFactory(
                    municipality=connection.municipality, is_active=False
                ),
            )
    response = member.post(_url("invoice_new"), form_data(target))
    assert response.context["form"].errors["connection"] == [
        "宛先を一覧から選び直してください。"
    ]
    assert _invoices(supplier) == []


# Drafts --------------------------------------------------------------------


def test_edit_page_shows_the_draft_and_saves_changes(member, draft):
    response = member.get(_url("invoice_edit", draft))
    formset = response.context["formset"]
    assert [f["quantity"].value() for f in formset.forms[:2]] == ["10", "3"]
    assert response.context["form"]["number"].value() == draft.number
    data = form_data(
        draft.connection,
        [{"description": "修正後", "quantity": "2", "unit_price": "500"}],
        number=draft.number,
        subject="変更後",
    )
    assert member.post(_url("invoice_edit", draft), data).status_code == 302
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.subject == "変更後"
    assert _lines(draft) == [(1, "修正後", 2, 500, 1000)]
    assert draft.total == 1100


def test_unchanged_lines_of_an_edited_draft_are_kept(member, draft):
    response = member.get(_url("invoice_edit", draft))
    data = form_data(draft.connection, [], number=draft.number)
    for form in response.context["formset"].forms:
        for name in ("description", "quantity", "unit", "unit_price", "tax_category"):
            data[f"{form.prefix}-{name}"] = form[name].value() or ""
        data[f"{form.prefix}-ORDER"] = form["ORDER"].value()
    data["lines-TOTAL_FORMS"] = str(len(response.context["formset"].forms))
    member.post(_url("invoice_edit", draft), data)
    with scopes_disabled():
        draft.refresh_from_db()
    assert [line[1] for line in _lines(draft)] == ["コピー用紙 A4", "お茶（来客用）"]
    assert draft.total == 5338


def test_delete_asks_then_deletes_the_draft(member, supplier, draft):
    page = member.get(_url("invoice_delete", draft))
    assert page.status_code == 200
    assert draft.number in page.content.decode()
    assert _invoices(supplier) == [draft]
    response = member.post(_url("invoice_delete", draft))
    assert response["Location"] == _url("invoices")
    assert _invoices(supplier) == []


def test_copy_opens_a_filled_form_and_saves_nothing_until_saved(
    member, supplier, issued_invoice
):
    with scopes_disabled():
        invoice_count = Invoice.objects.count()
    page = member.get(_url("invoice_copy", issued_invoice))
    assert page.status_code == 200
    with scopes_disabled():
        assert Invoice.objects.count() == invoice_count  # nothing made by opening
    form = page.context["form"]
    assert form["connection"].value() == issued_invoice.connection_id
    assert form["subject"].value() == issued_invoice.subject
    assert form["number"].value() != issued_invoice.number
    assert form["issue_date"].value() == timezone.localdate()
    rows = [row.initial for row in page.context["formset"].forms if row.initial]
    assert [row["description"] for row in rows] == [
        line[1] for line in _lines(issued_invoice)
    ]
    html = page.content.decode()
    assert "保存するまでは何も作られません" in html
    # Saving the form (posted to the same page) makes the new draft.
    data = form_data(
        issued_invoice.connection,
        number=form["number"].value(),
        lines=[
            {
                "description": row["description"],
                "quantity": row["quantity"],
                "unit": row["unit"],
                "unit_price": row["unit_price"],
                "tax_category": row["tax_category"],
            }
            for row in rows
        ],
    )
    response = member.post(_url("invoice_copy", issued_invoice), data)
    original, copy = _invoices(supplier)
    assert response["Location"] == _url("invoice", copy)
    assert copy.status == InvoiceStatus.DRAFT
    assert copy.corrects is None
    assert [line[1:] for line in _lines(copy)] == [
        line[1:] for line in _lines(original)
    ]
    assert copy.total == original.total


def test_the_invoice_page_links_to_the_copy_form(member, issued_invoice):
    html = member.get(_url("invoice", issued_invoice)).content.decode()
    assert f'href="{_url("invoice_copy", issued_invoice)}"' in html


def test_copy_leaves_out_an_addressee_no_longer_open(
    member, supplier, issued_invoice, connection
):
    with scopes_disabled():
        connection.is_active = False
        connection.save()
    page = member.get(_url("invoice_copy", issued_invoice))
    assert page.context["form"]["connection"].value() is None


# Issue ---------------------------------------------------------------------


def test_issue_freezes_numbers_and_notifies_the_department(
    member, draft, tenant, django_capture_on_commit_callbacks
):
    assert "発行する" in member.get(_url("invoice", draft)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(_url("invoice_issue", draft), CONFIRMED, follow=True)
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED
    assert draft.receipt_number
    assert f"受付番号 {draft.receipt_number}" in _messages(response)[0]
    (message,) = mail.outbox
    assert message.to == [tenant.department_staff.email]
    assert message.subject.startswith("[請求書ポータル] 請求書が届きました: ")


def test_issuing_twice_issues_once(member, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member.post(_url("invoice_issue", draft), CONFIRMED, follow=True)
        response = member.post(_url("invoice_issue", draft), CONFIRMED, follow=True)
    assert _messages(response) == [ALREADY_ISSUED]
    with scopes_disabled():
        assert draft.events.filter(kind=EventKind.ISSUED).count() == 1
    assert len(mail.outbox) == 1


def test_problems_are_listed_and_block_issuing(member, supplier, draft):
    supplier.registration_number = ""
    supplier.save()
    page = member.get(_url("invoice", draft)).content.decode()
    assert "登録番号が必要です" in page
    assert 'action="{}"'.format(_url("invoice_issue", draft)) not in page
    response = member.post(_url("invoice_issue", draft), CONFIRMED, follow=True)
    assert any("登録番号が必要です" in m for m in _messages(response))
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


def test_issue_problems_name_every_rule_the_draft_breaks(
    supplier, supplier_user, connection
):
    supplier.registration_number = ""
    supplier.save()
    today = timezone.localdate()
    with scopes_disabled():
        empty = invoice_draft_save(
            supplier=supplier,
            actor=supplier_user,
            connection=connection,
            fields={
                "number": "EMPTY-1",
                "issue_date": today,
                "transaction_date": today,
                "price_basis": "exclusive",
            },
            lines=[],
        )
        problems = invoice_issue_problems(empty)
    assert problems == [
        "適格請求書には登録番号が必要です。事業者情報で登録番号を設定してください。",
        "明細を1行以上入力してください。",
        "請求金額が0円です。明細の数量と単価を確認してください。",
    ]


def test_an_issued_invoice_cannot_be_edited_or_deleted(member, issued_invoice):
    for name in ("invoice_edit", "invoice_delete"):
        response = member.get(_url(name, issued_invoice), follow=True)
        assert response.redirect_chain == [(_url("invoice", issued_invoice), 302)]
        assert "発行済みの請求書は変更・削除できません" in _messages(response)[0]
    data = form_data(issued_invoice.connection, subject="書き換え")
    member.post(_url("invoice_edit", issued_invoice), data)
    member.post(_url("invoice_delete", issued_invoice))
    with scopes_disabled():
        issued_invoice.refresh_from_db()
    assert issued_invoice.subject == "事務用品"


# Tracking, reminders, withdrawal -------------------------------------------


def _open(invoice, tenant):
    with scopes_disabled():
        return invoice_view_record(invoice=invoice, actor=tenant.department_staff)


def test_list_and_detail_show_whether_the_invoice_was_opened(
    member, issued_invoice, tenant
):
    assert "未開封" in member.get(_url("invoices")).content.decode()
    assert "催促する" in member.get(_url("invoice", issued_invoice)).content.decode()
    opened = _open(issued_invoice, tenant)
    stamp = f"{opened.opened_at.astimezone():%Y/%m/%d %H:%M}"
    assert "開封済 <time" in member.get(_url("invoices")).content.decode()
    assert stamp in member.get(_url("invoices")).content.decode()
    detail = member.get(_url("invoice", issued_invoice)).content.decode()
    assert "開封済:" in detail
    assert "催促する" not in detail


def test_remind_once_then_refused_within_a_day(
    member, issued_invoice, tenant, django_capture_on_commit_callbacks
):
    mail.outbox.clear()  # the issue notice
    with django_capture_on_commit_callbacks(execute=True):
        first = member.post(_url("invoice_remind", issued_invoice), follow=True)
        second = member.post(_url("invoice_remind", issued_invoice), follow=True)
    assert _messages(first) == ["宛先の部署に催促のメールを送りました。"]
    assert _messages(second) == [
        "催促は1日に1回までです。前回の催促から24時間たってから送ってください。"
    ]
    (message,) = mail.outbox
    assert message.to == [tenant.department_staff.email]
    assert "【催促】" in message.subject


def test_withdraw_an_unopened_invoice(member, issued_invoice):
    response = member.post(
        _url("invoice_withdraw", issued_invoice), CONFIRMED, follow=True
    )
    assert _messages(response) == ["請求書を取り下げました。"]
    with scopes_disabled():
        issued_invoice.refresh_from_db()
    assert issued_invoice.status == InvoiceStatus.WITHDRAWN


def test_withdraw_an_opened_invoice_is_refused(member, issued_invoice, tenant):
    _open(issued_invoice, tenant)
    response = member.post(
        _url("invoice_withdraw", issued_invoice), CONFIRMED, follow=True
    )
    assert _messages(response) == [WITHDRAW_OPENED]
    with scopes_disabled():
        issued_invoice.refresh_from_db()
    assert issued_invoice.status == InvoiceStatus.OPENED


# Corrections ---------------------------------------------------------------


def test_correction_of_a_returned_invoice_references_it_and_shows_the_chain(
    member, supplier, issued_invoice, tenant
):
    with scopes_disabled():
        invoice_return(
            invoice=issued_invoice,
            actor=tenant.department_staff,
            reason=ReturnReason.AMOUNT,
            explanation="単価が見積書と違います。",
            severity=ReturnSeverity.MINOR,
        )
    page = member.get(_url("invoice", issued_invoice)).content.decode()
    assert "単価が見積書と違います。" in page
    assert "訂正した請求書を作成" in page

    response = member.post(_url("invoice_correct", issued_invoice))
    returned, draft = _invoices(supplier)
    assert response["Location"] == _url("invoice_edit", draft)
    assert draft.corrects == returned
    assert draft.status == InvoiceStatus.DRAFT
    edit = member.get(_url("invoice_edit", draft)).content.decode()
    assert "訂正の経緯" in edit
    assert returned.number in edit
    # A second click opens the same draft.
    again = member.post(_url("invoice_correct", issued_invoice))
    assert again["Location"] == _url("invoice_edit", draft)
    assert len(_invoices(supplier)) == 2

    member.post(_url("invoice_issue", draft), CONFIRMED)
    for invoice in (draft, returned):
        chain = member.get(_url("invoice", invoice)).context["chain"]
        assert [i.pk for i in chain] == [returned.pk, draft.pk]
    page = member.get(_url("invoice", returned)).content.decode()
    assert "訂正した請求書は発行済みです" in page
    refused = member.post(_url("invoice_correct", returned), follow=True)
    assert "すでに発行されています" in _messages(refused)[0]
    assert len(_invoices(supplier)) == 2


def test_only_a_returned_invoice_can_be_corrected(member, supplier, issued_invoice):
    response = member.post(_url("invoice_correct", issued_invoice), follow=True)
    assert _messages(response) == ["訂正できるのは差戻しされた請求書だけです。"]
    assert len(_invoices(supplier)) == 1


def _returned(invoice, tenant):
    with scopes_disabled():
        return invoice_return(
            invoice=invoice,
            actor=tenant.department_staff,
            reason=ReturnReason.AMOUNT,
            explanation="単価が見積書と違います。",
            severity=ReturnSeverity.MINOR,
        )


def test_invoice_correct_makes_one_draft_until_the_correction_is_issued(
    supplier_user, issued_invoice, tenant, django_capture_on_commit_callbacks
):
    returned = _returned(issued_invoice, tenant)
    with scopes_disabled():
        draft, created = invoice_correct(invoice=returned, actor=supplier_user)
        assert created is True
        assert (draft.status, draft.corrects) == (InvoiceStatus.DRAFT, returned)
        again, created = invoice_correct(invoice=returned, actor=supplier_user)
        assert (again, created) == (draft, False)
        with django_capture_on_commit_callbacks():
            invoice_issue(invoice=draft, actor=supplier_user)
        with pytest.raises(ValidationError) as raised:
            invoice_correct(invoice=returned, actor=supplier_user)
        assert raised.value.messages == [CORRECTION_ISSUED]
        assert returned.corrections.count() == 1


def test_invoice_correct_refuses_an_invoice_that_was_not_returned(
    supplier_user, issued_invoice
):
    with scopes_disabled(), pytest.raises(ValidationError) as raised:
        invoice_correct(invoice=issued_invoice, actor=supplier_user)
    assert raised.value.messages == ["訂正できるのは差戻しされた請求書だけです。"]
    with scopes_disabled():
        assert not issued_invoice.corrections.exists()


# List ----------------------------------------------------------------------


def test_list_shows_every_municipality_newest_first_and_filters_by_status(
    member, supplier, supplier_user, connection, issued_invoice, other_tenant
):
    with scopes_disabled():
        elsewhere = ConnectionFactory(
            supplier=supplier, department=other_tenant.department
        )
        draft = make_invoice(connection=elsewhere, actor=supplier_user, issue=False)
    response = member.get(_url("invoices"))
    assert list(response.context["invoices"]) == [draft, issued_invoice]
    page = response.content.decode()
    assert f"{other_tenant.municipality.name} {other_tenant.department.name}" in page
    assert "下書き" in page
    assert "5,338円" in page
    drafts = member.get(_url("invoices"), {"status": "draft"})
    assert list(drafts.context["invoices"]) == [draft]


def test_list_pages_by_fifty_and_keeps_the_filter(
    member, supplier, supplier_user, connection
):
    with scopes_disabled():
        for _ in range(51):
            make_invoice(
                connection=connection, actor=supplier_user, issue=False, lines=[]
            )
    response = member.get(_url("invoices"), {"status": "draft"})
    assert len(response.context["invoices"]) == 50
    assert "?status=draft&amp;after=" in response.content.decode()


def test_list_uses_a_constant_number_of_queries(member, supplier_user, connection):
    def count():
        with CaptureQueriesContext(db_connection) as queries:
            assert member.get(_url("invoices")).status_code == 200
        return len(queries)

    def grow(n):
        with scopes_disabled():
            for _ in range(n):
                make_invoice(connection=connection, actor=supplier_user)
                make_invoice(connection=connection, actor=supplier_user, issue=False)

    grow(1)
    few = count()
    grow(5)
    assert count() == few


# Tenancy -------------------------------------------------------------------


def _every_url(invoice, attachment_pk):
    """Every page of this module for one invoice, with the method it takes."""
    pages = [
        ("get", "invoice"),
        ("get", "invoice_edit"),
        ("post", "invoice_edit"),
        ("get", "invoice_delete"),
        ("post", "invoice_delete"),
        ("get", "invoice_copy"),
        ("post", "invoice_copy"),
        ("post", "invoice_correct"),
        ("get", "invoice_issue"),
        ("post", "invoice_issue"),
        ("post", "invoice_withdraw"),
        ("post", "invoice_remind"),
    ]
    attachment_args = [invoice.pk, attachment_pk]
    return [
        *((method, _url(name, invoice)) for method, name in pages),
        ("get", reverse("supplier:invoice_attachment", args=attachment_args)),
        ("post", reverse("supplier:invoice_attachment_delete", args=attachment_args)),
    ]


def test_another_suppliers_user_gets_404_everywhere(
    client, member, draft, issued_invoice, other_supplier_user
):
    with scopes_disabled():
        upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")
        attachment = attachment_add(invoice=draft, checked=attachment_check(upload))
        invoice_ids = {i.pk for i in Invoice.objects.all()}
    urls = _every_url(draft, attachment.pk)
    # The URLs are right: the supplier's own member opens them.
    for method, url in urls:
        if method == "get":
            response = member.get(url)
            assert response.status_code == 200, url
            if response.streaming:
                b"".join(response.streaming_content)  # closes the file
    client.force_login(other_supplier_user)
    for method, url in [*urls, *_every_url(issued_invoice, attachment.pk)]:
        assert getattr(client, method)(url).status_code == 404, url
    with scopes_disabled():
        assert {i.pk for i in Invoice.objects.all()} == invoice_ids
    # Their own list and entry page show none of it.
    page = client.get(_url("invoices")).content.decode()
    assert draft.number not in page
    assert issued_invoice.number not in page
    new = client.get(_url("invoice_new")).content.decode()
    assert draft.department.name not in new


def test_anonymous_visitors_are_sent_to_login(client, draft):
    urls = [("get", _url("invoices")), ("get", _url("invoice_new"))]
    for method, url in [*urls, *_every_url(draft, attachment_pk=1)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))
