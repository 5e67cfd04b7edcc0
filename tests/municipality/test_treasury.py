"""Payment batches from creation to payment or cancellation: numbers,
business days, adding approved invoices, transfers and fees, four-eyes
approval, the Zengin export, the 財務会計 CSV, payment notices and the
export command. Every step is in the invoices' history."""

import csv
import hashlib
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from accounts.models import NotificationSettings
from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from invoices.pdf import STATIC_BASE, StaticOnlyFetcher
from invoices.services.drafts import LineInput
from municipality.models import (
    BatchStatus,
    FeeBearer,
    PaymentBatch,
    PaymentBatchItem,
    PaymentNotice,
    StaffRole,
)
from municipality.treasury.selectors.batches import transfers_plan
from municipality.treasury.services.accounting import (
    ACCOUNTING_CSV_HEADER,
    batch_accounting_csv,
)
from municipality.treasury.services.batch_moves import (
    CANCEL_REASON_REQUIRED,
    SELF_APPROVAL,
    batch_approve,
    batch_can_export,
    batch_cancel,
    batch_export,
    batch_mark_paid,
    batch_zengin_read,
)
from municipality.treasury.services.batches import (
    BATCH_STEP,
    batch_add_invoices,
    batch_create,
    batch_remove_invoice,
)
from municipality.treasury.services.notices import render_payment_notice_pdf
from municipality.treasury.services.settings import NO_SETTINGS, treasury_settings_save
from municipality.treasury.tasks import payment_notice_deliver_task
from tests.factories import (
    ConnectionFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    UserFactory,
    make_invoice,
    payment_day_reached,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_approved,
    make_bank_account,
    make_settings,
    make_supplier,
    next_saturday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_scopes():
    with scopes_disabled():
        yield


@pytest.fixture
def settings_row(request, tenant):
    """The treasury settings; ``indirect`` parameters set fields of it
    before any batch is created."""
    return make_settings(tenant.municipality, **getattr(request, "param", {}))


FOUR_EYES = pytest.mark.parametrize(
    "settings_row", [{"four_eyes": True}], indirect=True, ids=["four_eyes"]
)


@pytest.fixture
def payday():
    return business_day_after(timezone.localdate())


@pytest.fixture
def supplier(tenant):
    return make_supplier(tenant.department)


@pytest.fixture
def batch(tenant, settings_row, payday):
    return batch_create(
        municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
    )


def _events(invoice, kind):
    return list(InvoiceEvent.objects.filter(invoice=invoice, kind=kind).order_by("pk"))


def _refresh(obj):
    obj.refresh_from_db()
    return obj


def _messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# Creating a batch ---------------------------------------------------------------------


def test_batch_numbers_count_up_per_municipality_and_year(
    tenant, other_tenant, settings_row, payday
):
    make_settings(other_tenant.municipality)
    year = timezone.localdate().year
    numbers = [
        batch_create(municipality=m, payment_date=payday, actor=tenant.treasury).number
        for m in (tenant.municipality, tenant.municipality, other_tenant.municipality)
    ]
    assert numbers == [f"{year}-0001", f"{year}-0002", f"{year}-0001"]


def test_a_bank_holiday_is_refused_with_a_japanese_message(tenant, settings_row):
    saturday = next_saturday(timezone.localdate())
    with pytest.raises(ValidationError) as excinfo:
        batch_create(
            municipality=tenant.municipality,
            payment_date=saturday,
            actor=tenant.treasury,
        )
    assert "銀行の休業日です" in _messages(excinfo)
    assert not PaymentBatch.objects.exists()


def test_a_past_payment_date_is_refused(tenant, settings_row):
    past = business_day_after(timezone.localdate(), days=-30)
    with pytest.raises(ValidationError) as excinfo:
        batch_create(
            municipality=tenant.municipality, payment_date=past, actor=tenant.treasury
        )
    assert "過ぎています" in _messages(excinfo)


def test_a_batch_needs_treasury_settings(tenant, payday):
    with pytest.raises(ValidationError) as excinfo:
        batch_create(
            municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
        )
    assert _messages(excinfo) == NO_SETTINGS


# Adding and removing invoices ---------------------------------------------------------


def test_approved_invoices_are_added_with_an_event(tenant, supplier, batch):
    user, connection = supplier
    invoice = make_approved(tenant, user, connection)
    batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
    assert PaymentBatchItem.objects.filter(batch=batch, invoice=invoice).exists()
    (event,) = _events(invoice, BATCH_STEP)
    assert event.data == {"batch": batch.number, "step": "added"}
    assert batch.number in event.reason
    assert _refresh(invoice).status == InvoiceStatus.APPROVED


def test_adding_refuses_every_unfit_invoice_and_adds_none(
    tenant, other_tenant, supplier, batch, payday
):
    user, connection = supplier
    good = make_approved(tenant, user, connection)
    issued = make_invoice(connection=connection, actor=user)
    elsewhere = batch_create(
        municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
    )
    taken = make_approved(tenant, user, connection)
    batch_add_invoices(batch=elsewhere, invoice_ids=[taken.pk], actor=tenant.treasury)
    with pytest.raises(ValidationError) as excinfo:
        batch_add_invoices(
            batch=batch,
            invoice_ids=[good.pk, issued.pk, taken.pk],
            actor=tenant.treasury,
        )
    problems = excinfo.value.messages
    assert len(problems) == 2
    assert (
        "「未開封」です。支払バッチには承認済の請求書だけを入れられます" in problems[0]
    )
    assert f"すでに別の支払バッチ（{elsewhere.number}）に入っています" in problems[1]
    assert not PaymentBatchItem.objects.filter(batch=batch).exists()


def test_another_municipalitys_invoice_cannot_be_added(
    tenant, other_tenant, batch, other_supplier_user
):
    user, connection = make_supplier(other_tenant.department)
    foreign = make_approved(other_tenant, user, connection)
    with pytest.raises(ValidationError) as excinfo:
        batch_add_invoices(batch=batch, invoice_ids=[foreign.pk], actor=tenant.treasury)
    assert "見つかりません" in _messages(excinfo)


def test_an_invoice_without_a_bank_account_cannot_be_added(tenant, batch):
    user, connection = make_supplier(tenant.department)
    connection.supplier.bank_accounts.all().delete()
    invoice = make_approved(tenant, user, connection)
    with pytest.raises(ValidationError) as excinfo:
        batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
    assert "振込先口座の記載がない" in _messages(excinfo)


def test_removing_an_invoice_keeps_it_approved(tenant, supplier, batch):
    user, connection = supplier
    invoice = make_approved(tenant, user, connection)
    batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
    batch_remove_invoice(batch=batch, invoice_id=invoice.pk, actor=tenant.treasury)
    assert not PaymentBatchItem.objects.filter(invoice=invoice).exists()
    steps = [e.data["step"] for e in _events(invoice, BATCH_STEP)]
    assert steps == ["added", "removed"]
    assert _refresh(invoice).status == InvoiceStatus.APPROVED


# Transfers and fees -------------------------------------------------------------------


def test_transfers_group_by_supplier_and_bank_account(tenant, settings_row, batch):
    user_a, connection_a = make_supplier(tenant.department)
    user_b, connection_b = make_supplier(tenant.department, bank_code="0185")
    first = make_approved(tenant, user_a, connection_a)
    second = make_approved(tenant, user_a, connection_a)
    make_bank_account(connection_a.supplier, account_number="0000001")
    third = make_approved(tenant, user_a, connection_a)  # the new account
    fourth = make_approved(tenant, user_b, connection_b)
    invoices = [first, second, third, fourth]
    plan = transfers_plan(invoices=invoices, settings=settings_row)
    grouped = sorted(
        (t.supplier.pk, t.bank_account["account_number"], {i.pk for i in t.invoices})
        for t in plan
    )
    assert grouped == sorted(
        [
            (connection_a.supplier.pk, "1234567", {first.pk, second.pk}),
            (connection_a.supplier.pk, "0000001", {third.pk}),
            (connection_b.supplier.pk, "1234567", {fourth.pk}),
        ]
    )
    pair = next(t for t in plan if len(t.invoices) == 2)
    assert pair.amount == int(first.total + second.total)
    assert all(t.fee == 0 for t in plan)  # the city bears the fee


@pytest.mark.parametrize(
    ("bank", "amount", "fee"),
    [
        ({"bank_code": "0005", "branch_code": "001"}, 29_999, 440),  # other bank
        ({"bank_code": "0005", "branch_code": "001"}, 40_000, 660),
        ({"bank_code": "0185", "branch_code": "010"}, 40_000, 330),  # same bank
        ({"bank_code": "0185", "branch_code": "000"}, 40_000, 0),  # same branch
    ],
)
def test_the_supplier_bears_the_fee_when_the_settings_say_so(
    tenant, settings_row, bank, amount, fee
):
    settings_row.fee_bearer = FeeBearer.PAYEE
    settings_row.save()
    user, connection = make_supplier(tenant.department, **bank)
    invoice = make_approved(
        tenant,
        user,
        connection,
        price_basis="inclusive",
        lines=[LineInput("保守", Decimal(1), Decimal(amount), "S", "式")],
    )
    (transfer,) = transfers_plan(invoices=[invoice], settings=settings_row)
    assert (transfer.amount, transfer.fee, transfer.transfer_amount) == (
        amount,
        fee,
        amount - fee,
    )


# Four-eyes approval -------------------------------------------------------------------


@pytest.fixture
def colleague(tenant):
    return StaffMembershipFactory(
        municipality=tenant.municipality, role=StaffRole.TREASURY
    ).user


@FOUR_EYES
def test_with_four_eyes_the_preparer_cannot_approve_nor_export(
    tenant, settings_row, supplier, batch, colleague
):
    user, connection = supplier
    invoice = make_approved(tenant, user, connection)
    batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
    with pytest.raises(ValidationError) as excinfo:
        batch_export(batch=batch, actor=tenant.treasury)
    assert "まだ承認されていません" in _messages(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        batch_approve(batch=batch, actor=tenant.treasury)
    assert _messages(excinfo) == SELF_APPROVAL

    batch_approve(batch=batch, actor=colleague)
    assert (_refresh(batch).status, batch.approved_by) == (
        BatchStatus.APPROVED,
        colleague,
    )
    with pytest.raises(ValidationError, match="請求書を追加できません"):
        batch_add_invoices(
            batch=batch,
            invoice_ids=[make_approved(tenant, user, connection).pk],
            actor=tenant.treasury,
        )
    batch_export(batch=batch, actor=tenant.treasury)
    assert _refresh(batch).status == BatchStatus.EXPORTED


# Export -------------------------------------------------------------------------------


@pytest.fixture
def filled_batch(tenant, batch):
    """A batch with two invoices of one supplier and one of another."""
    user_a, connection_a = make_supplier(tenant.department)
    user_b, connection_b = make_supplier(
        tenant.other_department, holder_kana="ﾕ)ﾍﾞﾂﾉｼﾖｳｶｲ"
    )
    invoices = [
        make_approved(tenant, user_a, connection_a),
        make_approved(tenant, user_a, connection_a),
        make_approved(tenant, user_b, connection_b),
    ]
    batch_add_invoices(
        batch=batch, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )
    return batch, invoices


def _stored(batch) -> bytes:
    with batch.zengin_file.open("rb") as f:
        return f.read()


def test_export_writes_the_file_notices_and_schedules_in_one_go(tenant, filled_batch):
    batch, invoices = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    batch = _refresh(batch)
    data = _stored(batch)
    # header, two transfers, trailer, end record; 120 bytes + CRLF each
    assert data.startswith(b"1210")
    assert len(data) == 5 * 122
    assert batch.status == BatchStatus.EXPORTED
    assert batch.zengin_sha256 == hashlib.sha256(data).hexdigest()
    notices = list(PaymentNotice.objects.filter(batch=batch).order_by("number"))
    assert [n.number for n in notices] == [
        f"{batch.number}-001",
        f"{batch.number}-002",
    ]
    records = data.split(b"\r\n")
    # The EDI field (positions 92-111) carries the notice number.
    assert [r[91:111].decode().strip() for r in records[1:3]] == [
        n.number for n in notices
    ]
    assert sorted(n.invoices.count() for n in notices) == [1, 2]
    assert sum(n.amount for n in notices) == sum(i.total for i in invoices)
    for invoice in invoices:
        assert _refresh(invoice).status == InvoiceStatus.SCHEDULED
        (event,) = _events(invoice, EventKind.SCHEDULED)[-1:]
        assert (event.from_status, event.to_status) == ("approved", "scheduled")
        assert event.data["batch"] == batch.number


def test_a_failed_export_shows_every_problem_and_stores_nothing(
    tenant, settings_row, filled_batch
):
    batch, invoices = filled_batch
    settings_row.originator_name_kana = "鹿屋市"
    settings_row.save()
    with pytest.raises(ValidationError) as excinfo:
        batch_export(batch=batch, actor=tenant.treasury)
    assert any(
        "委託者名に全銀データで使えない文字" in p for p in excinfo.value.messages
    )
    batch = _refresh(batch)
    assert (batch.status, batch.zengin_file.name, batch.zengin_sha256) == (
        BatchStatus.DRAFT,
        "",
        "",
    )
    assert not PaymentNotice.objects.exists()
    assert {
        i.status for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])
    } == {InvoiceStatus.APPROVED}


def test_a_second_export_is_refused(tenant, filled_batch):
    batch, _ = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    with pytest.raises(ValidationError, match="振込データを作成できません"):
        batch_export(batch=batch, actor=tenant.treasury)
    assert PaymentNotice.objects.filter(batch=batch).count() == 2


def test_downloading_the_file_is_in_each_invoices_history(tenant, filled_batch):
    batch, invoices = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    data = batch_zengin_read(batch=_refresh(batch), actor=tenant.treasury)
    assert data == _stored(batch)
    for invoice in invoices:
        (event,) = _events(invoice, EventKind.DOWNLOADED)
        assert event.data["format"] == "zengin"


# 財務会計 CSV ----------------------------------------------------------------------


def test_accounting_csv_has_one_row_per_invoice(tenant, settings_row, batch):
    supplier = SupplierFactory(legal_name="=HYPERLINK(1)商店")
    membership = SupplierMembershipFactory(supplier=supplier)
    connection = ConnectionFactory(
        supplier=supplier, department=tenant.department, payee_code="K-0042"
    )
    make_bank_account(supplier)
    invoice = make_approved(tenant, membership.user, connection)
    batch_add_invoices(batch=batch, invoice_ids=[invoice.pk], actor=tenant.treasury)
    data = batch_accounting_csv(batch=batch, actor=tenant.treasury)
    rows = list(csv.reader(io.StringIO(data.decode("cp932"))))
    assert rows[0] == list(ACCOUNTING_CSV_HEADER)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["受付番号"] == invoice.receipt_number
    assert row["部署コード"] == tenant.department.code
    assert row["取引先名"] == "'=HYPERLINK(1)商店"
    assert row["支払先コード"] == "K-0042"
    assert row["登録番号"] == supplier.registration_number
    assert (row["10%対象"], row["10%税額"], row["8%対象"], row["8%税額"]) == (
        "4500",
        "450",
        "360",
        "28",
    )
    assert row["非課税等"] == "0"
    assert row["請求金額"] == str(invoice.total)
    assert row["支払日"] == batch.payment_date.isoformat()
    assert row["バッチ番号"] == batch.number
    (event,) = _events(invoice, EventKind.EXPORTED)
    assert event.data == {"format": "accounting_csv", "batch": batch.number}


def test_accounting_csv_follows_the_encoding_setting(
    tenant, settings_row, filled_batch
):
    batch, _ = filled_batch
    settings_row.csv_encoding = "utf-8-sig"
    settings_row.save()
    data = batch_accounting_csv(batch=batch, actor=tenant.treasury)
    assert data.startswith("\ufeff受付番号".encode())


# Paid and payment notices -------------------------------------------------------------


def test_paid_pays_every_invoice_and_sends_each_notice_once(
    tenant, filled_batch, django_capture_on_commit_callbacks
):
    batch, invoices = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    quiet = SupplierMembershipFactory(supplier=invoices[0].supplier).user
    NotificationSettings.objects.create(user=quiet, payment_notices=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment_day_reached(batch)
        batch_mark_paid(batch=batch, actor=tenant.treasury)
    assert _refresh(batch).status == BatchStatus.PAID
    for invoice in invoices:
        assert _refresh(invoice).status == InvoiceStatus.PAID
        assert len(_events(invoice, EventKind.PAID)) == 1
    notices = list(PaymentNotice.objects.filter(batch=batch))
    assert all(n.pdf and n.sent_at for n in notices)
    owners = {
        m.user.email
        for i in invoices
        for m in i.supplier.memberships.exclude(user=quiet)
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(owners)
    assert "支払通知" in mail.outbox[0].subject
    assert f"/supplier/payment-notices/{notices[0].pk}/" in "".join(
        m.body for m in mail.outbox
    )
    # Each mail carries its notice as a PDF.
    for message in mail.outbox:
        ((filename, content, mimetype),) = message.attachments
        assert filename.startswith("支払通知_")
        assert filename.endswith(".pdf")
        assert mimetype == "application/pdf"
        assert content.startswith(b"%PDF")

    # A retried task changes nothing and sends nothing again.
    notice = notices[0]
    pdf_name = notice.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        payment_notice_deliver_task.delay(
            notice_id=notice.pk, municipality_id=notice.municipality_id
        )
    assert _refresh(notice).pdf.name == pdf_name
    assert len(mail.outbox) == 2


def test_the_notice_pdf_lists_what_was_paid_in_japanese(tenant, filled_batch):
    batch, _ = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    notice = PaymentNotice.objects.filter(batch=batch).order_by("number").first()
    data = render_payment_notice_pdf(notice)
    assert data.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "支払通知書" in text.replace(" ", "")  # the title is letter-spaced
    assert notice.number in text
    assert tenant.municipality.name in text
    for invoice in notice.invoices.all():
        assert invoice.number in text
        assert invoice.receipt_number in text


def test_the_notice_pdf_fetches_only_static_files_like_the_invoice_pdf(
    tenant, filled_batch, monkeypatch
):
    """Both documents go through ``invoices.pdf.render_pdf``: every URL the
    notice asks for passes the static-only fetcher."""
    fetched = []
    fetch = StaticOnlyFetcher.fetch

    def recording_fetch(self, url, headers=None):
        fetched.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", recording_fetch)
    batch, _ = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    notice = PaymentNotice.objects.filter(batch=batch).first()
    render_payment_notice_pdf(notice)
    assert STATIC_BASE + "invoices/pdf.css" in fetched


def test_only_an_exported_batch_can_be_marked_paid(tenant, filled_batch):
    batch, _ = filled_batch
    payment_day_reached(batch)
    with pytest.raises(ValidationError, match="支払済にできません"):
        batch_mark_paid(batch=batch, actor=tenant.treasury)


def test_a_batch_cannot_be_marked_paid_before_its_payment_date(
    tenant, filled_batch, client
):
    """The payment notice says "お支払いしました": not before the day."""
    batch, invoices = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    assert batch.payment_date > timezone.localdate()

    with pytest.raises(ValidationError) as excinfo:
        batch_mark_paid(batch=batch, actor=tenant.treasury)
    day = f"{batch.payment_date.year}年{batch.payment_date.month}月"
    assert _messages(excinfo) == (
        f"支払バッチ {batch.number} の支払日は{day}{batch.payment_date.day}日です。"
        "支払日より前に支払済にはできません。"
        "支払日以降に、振込が済んだことを確かめてから支払済にしてください。"
    )
    assert _refresh(batch).status == BatchStatus.EXPORTED
    assert not PaymentNotice.objects.filter(batch=batch, sent_at__isnull=False)
    assert all(_refresh(i).status == InvoiceStatus.SCHEDULED for i in invoices)

    # The page says when it can be done instead of offering the button.
    client.force_login(tenant.treasury)
    url = reverse(
        "city:batch",
        kwargs={"municipality_slug": tenant.municipality.slug, "pk": batch.pk},
    )
    page = client.get(url).content.decode()
    assert "支払済にする</button>" not in page
    assert f"支払日（{day}{batch.payment_date.day}日）になると" in page

    payment_day_reached(batch)
    assert "支払済にする</button>" in client.get(url).content.decode()
    batch_mark_paid(batch=batch, actor=tenant.treasury)
    assert _refresh(batch).status == BatchStatus.PAID


# Cancellation -------------------------------------------------------------------------


def test_cancelling_an_exported_batch_puts_the_invoices_back(
    tenant, filled_batch, payday
):
    batch, invoices = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    with pytest.raises(ValidationError) as excinfo:
        batch_cancel(batch=batch, actor=tenant.treasury, reason="  ")
    assert _messages(excinfo) == CANCEL_REASON_REQUIRED

    batch_cancel(batch=batch, actor=tenant.treasury, reason="振込先の確認が必要なため")
    batch = _refresh(batch)
    assert batch.status == BatchStatus.CANCELLED
    assert batch.cancel_reason == "振込先の確認が必要なため"
    assert _stored(batch)  # the file stays for the record
    assert not PaymentBatchItem.objects.filter(batch=batch, active=True).exists()
    for invoice in invoices:
        assert _refresh(invoice).status == InvoiceStatus.APPROVED
        event = _events(invoice, EventKind.APPROVED)[-1]
        assert (event.from_status, event.to_status) == ("scheduled", "approved")
        assert "振込先の確認が必要なため" in event.reason
    # They can go into a new batch.
    again = batch_create(
        municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
    )
    batch_add_invoices(
        batch=again, invoice_ids=[i.pk for i in invoices], actor=tenant.treasury
    )


def test_cancelling_a_draft_records_the_reason(tenant, filled_batch):
    batch, invoices = filled_batch
    batch_cancel(batch=batch, actor=tenant.treasury, reason="支払日の変更")
    event = _events(invoices[0], BATCH_STEP)[-1]
    assert event.data["step"] == "cancelled"
    assert "支払日の変更" in event.reason
    assert _refresh(invoices[0]).status == InvoiceStatus.APPROVED


def test_a_paid_batch_cannot_be_cancelled(tenant, filled_batch):
    batch, _ = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    payment_day_reached(batch)
    batch_mark_paid(batch=batch, actor=tenant.treasury)
    with pytest.raises(ValidationError, match="取り消せません"):
        batch_cancel(batch=batch, actor=tenant.treasury, reason="誤り")
    assert _refresh(batch).status == BatchStatus.PAID


def test_a_batch_keeps_the_four_eyes_rule_it_was_created_under(
    tenant, settings_row, supplier, payday, colleague
):
    settings_row.four_eyes = True
    settings_row.save()
    user, connection = supplier
    checked = batch_create(
        municipality=tenant.municipality, payment_date=payday, actor=tenant.treasury
    )
    batch_add_invoices(
        batch=checked,
        invoice_ids=[make_approved(tenant, user, connection).pk],
        actor=tenant.treasury,
    )
    # Turning the rule off afterwards does not let this batch skip approval.
    treasury_settings_save(
        municipality=tenant.municipality,
        values={"four_eyes": False},
        actor=tenant.city_admin,
    )
    assert _refresh(checked).four_eyes is True
    assert not batch_can_export(_refresh(checked))
    with pytest.raises(ValidationError, match="まだ承認されていません"):
        batch_export(batch=checked, actor=tenant.treasury)
    assert _refresh(checked).status == BatchStatus.DRAFT
    batch_approve(batch=checked, actor=colleague)
    batch_export(batch=checked, actor=tenant.treasury)
    assert _refresh(checked).status == BatchStatus.EXPORTED


def test_turning_four_eyes_on_later_does_not_block_an_earlier_batch(
    tenant, settings_row, supplier, batch
):
    user, connection = supplier
    batch_add_invoices(
        batch=batch,
        invoice_ids=[make_approved(tenant, user, connection).pk],
        actor=tenant.treasury,
    )
    treasury_settings_save(
        municipality=tenant.municipality,
        values={"four_eyes": True},
        actor=tenant.city_admin,
    )
    assert _refresh(batch).four_eyes is False
    batch_export(batch=batch, actor=tenant.treasury)
    assert _refresh(batch).status == BatchStatus.EXPORTED
    # A batch created now needs the second person.
    later = batch_create(
        municipality=tenant.municipality,
        payment_date=business_day_after(batch.payment_date),
        actor=tenant.treasury,
    )
    assert later.four_eyes is True


# The export command -------------------------------------------------------------------


@FOUR_EYES
def test_the_command_exports_an_approved_batch_and_writes_it(
    tenant, settings_row, filled_batch, colleague, tmp_path
):
    batch, _ = filled_batch
    batch_approve(batch=batch, actor=colleague)
    output = tmp_path / "zengin.txt"
    call_command("export_zengin", str(batch.pk), "--output", str(output))
    batch = _refresh(batch)
    assert batch.status == BatchStatus.EXPORTED
    assert output.read_bytes() == _stored(batch)
    # An exported batch is written as stored.
    output.unlink()
    call_command("export_zengin", str(batch.pk), "--output", str(output))
    assert output.read_bytes() == _stored(batch)


def test_the_command_refuses_a_draft_and_reports_export_problems(
    tenant, settings_row, filled_batch, colleague, tmp_path
):
    batch, _ = filled_batch
    output = tmp_path / "zengin.txt"
    with pytest.raises(CommandError, match="承認してから") as excinfo:
        call_command("export_zengin", str(batch.pk), "--output", str(output))
    assert excinfo.value.returncode == 1
    batch_approve(batch=batch, actor=colleague)
    settings_row.originator_name_kana = "鹿屋市"
    settings_row.save()
    with pytest.raises(CommandError, match="委託者名"):
        call_command("export_zengin", str(batch.pk), "--output", str(output))
    assert not output.exists()
    assert _refresh(batch).status == BatchStatus.APPROVED


def test_the_admin_shows_a_batchs_notice_amounts_in_yen(client, tenant, filled_batch):
    batch, _invoices = filled_batch
    batch_export(batch=batch, actor=tenant.treasury)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(
        reverse("admin:municipality_paymentbatch_change", args=[batch.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    with scopes_disabled():
        notice = PaymentNotice.objects.filter(batch=batch).order_by("number").first()
    assert f"{notice.transfer_amount:,}円" in page
    assert f"{notice.amount:,}円" in page
