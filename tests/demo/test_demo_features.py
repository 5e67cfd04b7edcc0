"""What the demo shows beyond its logins (issue 13.12): a sole proprietor's
invoice under withholding income tax, a discount line, a seal image, staff
invited by the city administrator (one still pending) and a payment batch
before its payment date, each made through the services the pages use,
added to a database seeded before they existed, and never twice."""

import io
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

import demo.invoices
import demo.staff
from accounts.invitations import InvitationStatus
from accounts.models import User
from demo.invoices import DISCOUNT_INVOICE_NUMBER, WITHHOLDING_INVOICE_NUMBER
from demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from invoices.models import Invoice, InvoiceStatus, PdfStatus, WithholdingKind
from invoices.withholding import withholding_tax
from municipality.models import (
    BatchStatus,
    PaymentBatch,
    SettingsEvent,
    SettingsEventKind,
    StaffInvitation,
    StaffMembership,
    StaffRole,
)
from municipality.treasury.services.batch_moves import batch_mark_paid
from municipality.treasury.zengin import bank_business_day
from partners.images import seal_content_type, seal_image_clean
from partners.models import Connection, LegalForm, Supplier

pytestmark = pytest.mark.django_db

KANOYA_ADMIN = "kanoya-admin@example.jp"


@pytest.fixture(autouse=True)
def _no_scope():
    with scopes_disabled():
        yield


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


@pytest.fixture
def output():
    return seed_demo()


def counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def yamada() -> Supplier:
    return Supplier.objects.get(legal_name="山田設計事務所")


def test_seeding_twice_keeps_every_count(output):
    before = counts()

    again = seed_demo()

    assert counts() == before
    assert "変更なし" in again


def test_the_sole_proprietor_is_an_individual_with_an_owner_login(output):
    supplier = yamada()

    supplier.full_clean()  # the registration number's check digit
    assert supplier.legal_form == LegalForm.INDIVIDUAL
    assert supplier.corporate_number == ""
    assert Connection.objects.get(supplier=supplier).department.name == "建築住宅課"
    owner = next(login for login in DEMO_LOGINS if login.email == "yamada@example.jp")
    assert owner.email in output
    assert "個人事業主" in owner.role


def test_the_sole_proprietors_invoice_is_issued_with_withholding_tax(output):
    invoice = Invoice.objects.get(supplier=yamada(), number=WITHHOLDING_INVOICE_NUMBER)

    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.withholding_kind == WithholdingKind.GENERAL
    assert [line.withholding for line in invoice.lines.order_by("position")] == [
        True,
        True,
    ]
    # 300,000 + 2 × 15,000 without tax; 10% consumption tax.
    assert invoice.withholding_base == Decimal(330000)
    assert invoice.total == Decimal(363000)
    # 10.21% of the tax-exclusive fees, rounded down.
    assert invoice.withholding_tax == Decimal(33693)
    assert invoice.withholding_tax == withholding_tax(
        base=330000, kind=WithholdingKind.GENERAL
    )
    assert invoice.net_total == Decimal(329307)  # 差引請求額
    assert invoice.snapshot["withholding"]["net_total"] == "329307"
    assert "差引請求額 329,307円" in output


def test_one_invoice_has_a_discount_line(output):
    invoice = Invoice.objects.get(number=DISCOUNT_INVOICE_NUMBER)

    discounts = [line for line in invoice.lines.all() if line.amount < 0]
    assert [(d.description, d.unit_price, d.amount) for d in discounts] == [
        ("まとめ買い値引き", Decimal(-3000), Decimal(-3000))
    ]
    # 29,400 + 33,000 − 3,000 = 59,400, tax 5,940.
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal(59400),
        Decimal(5940),
        Decimal(65340),
    )
    assert "まとめ買い値引き" in output


def test_the_sole_proprietor_has_a_transparent_png_seal(output):
    supplier = yamada()

    with supplier.seal_image.open("rb") as f:
        data = f.read()
    assert seal_content_type(data) == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # transparent corner
        assert image.getpixel((image.width // 2, 12))[:3] == (200, 30, 30)
    # What the seal upload accepts, and printed on the invoice issued after.
    seal_image_clean(ContentFile(data, name="seal.png"))
    invoice = Invoice.objects.get(supplier=supplier, number=WITHHOLDING_INVOICE_NUMBER)
    assert invoice.snapshot["supplier"]["seal_image"] == supplier.seal_image.name


def test_the_city_admin_invited_staff_one_joined_and_one_is_pending(output):
    admin = User.objects.get(email=KANOYA_ADMIN)
    joined = StaffInvitation.objects.get(email="kanoya-kenchiku@example.jp")
    pending = StaffInvitation.objects.get(email="kanoya-shinnin@example.jp")

    assert joined.status == InvitationStatus.ACCEPTED
    assert joined.invited_by == admin
    membership = StaffMembership.objects.get(user=joined.accepted_by)
    assert membership.role == StaffRole.DEPARTMENT
    assert set(membership.departments.values_list("name", flat=True)) == {
        "建築住宅課",
        "都市政策課",
    }
    assert pending.status == InvitationStatus.SENT
    assert pending.invited_by == admin
    assert pending.expires_at > timezone.now()
    assert "kanoya-shinnin@example.jp" in output


def test_the_settings_audit_log_holds_the_administrators_staff_changes(output):
    admin = User.objects.get(email=KANOYA_ADMIN)
    events = SettingsEvent.objects.filter(municipality__slug="kanoya", actor=admin)

    assert set(
        events.filter(kind=SettingsEventKind.STAFF_INVITATION).values_list(
            "target_label", flat=True
        )
    ) == {"kanoya-kenchiku@example.jp", "kanoya-shinnin@example.jp"}
    # The second department, added after the invitee joined.
    assert events.filter(kind=SettingsEventKind.STAFF_ROLE).exists()


def test_the_console_lists_the_invited_staff_and_the_audit_log_shows_them(
    client, output
):
    client.force_login(User.objects.get(email=KANOYA_ADMIN))
    kwargs = {"municipality_slug": "kanoya"}

    staff = client.get(reverse("city:staff", kwargs=kwargs))
    audit = client.get(reverse("city:audit_log", kwargs=kwargs))

    assert staff.status_code == 200
    assert "kanoya-kenchiku@example.jp" in staff.content.decode()
    assert "kanoya-shinnin@example.jp" in staff.content.decode()
    assert audit.status_code == 200
    assert "kanoya-shinnin@example.jp" in audit.content.decode()


def test_the_invited_staff_member_logs_in_and_sees_the_withholding_invoice(
    client, output
):
    user = User.objects.get(email="kanoya-kenchiku@example.jp")
    assert user.check_password(DEMO_PASSWORD)
    client.force_login(user)

    inbox = client.get(reverse("city:inbox", kwargs={"municipality_slug": "kanoya"}))

    assert WITHHOLDING_INVOICE_NUMBER in inbox.content.decode()


def test_a_batch_waits_for_its_payment_date_and_cannot_be_paid_before(output):
    invoice = Invoice.objects.get(number=DISCOUNT_INVOICE_NUMBER)
    batch = PaymentBatch.objects.get(items__invoice=invoice, items__active=True)
    today = timezone.localdate()

    assert batch.payment_date > today
    assert bank_business_day(batch.payment_date)
    assert batch.status == BatchStatus.EXPORTED
    assert invoice.status == InvoiceStatus.SCHEDULED
    assert batch.notices.get().supplier == invoice.supplier
    with pytest.raises(ValidationError, match="支払日より前に支払済にはできません"):
        batch_mark_paid(
            batch=batch, actor=User.objects.get(email="kanoya-treasury@example.jp")
        )
    assert batch.number in output


def test_the_batch_page_says_from_when_it_can_be_marked_paid(client, output):
    batch = PaymentBatch.objects.get(status=BatchStatus.EXPORTED)
    client.force_login(User.objects.get(email="kanoya-treasury@example.jp"))

    page = client.get(
        reverse("city:batch", kwargs={"municipality_slug": "kanoya", "pk": batch.pk})
    ).content.decode()

    assert "になると「支払済にする」を押せます" in page


def test_the_new_invoices_pdfs_render(django_capture_on_commit_callbacks):
    # The demo renders PDFs eagerly once the seed commits.
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()

    for number in (WITHHOLDING_INVOICE_NUMBER, DISCOUNT_INVOICE_NUMBER):
        pdf = Invoice.objects.get(number=number).pdf
        assert pdf.status == PdfStatus.READY, pdf.error
        with pdf.file.open("rb") as f:
            assert f.read(5) == b"%PDF-"


def test_a_database_seeded_before_these_features_gains_them(monkeypatch):
    """An older seed made no staff invitations, batch or new invoices, and
    its 山田設計事務所 was a corporation without a seal."""

    def nothing(**kwargs):
        return None

    with monkeypatch.context() as m:
        for module, name in (
            (demo.staff, "staff_invitations_ensure"),
            (demo.invoices, "withholding_invoice_ensure"),
            (demo.invoices, "discount_invoice_ensure"),
        ):
            m.setattr(module, name, nothing)
        seed_demo()
    Supplier.objects.filter(pk=yamada().pk).update(legal_form=LegalForm.CORPORATION)
    assert not PaymentBatch.objects.exists()

    output = seed_demo()

    assert "事業者の区分（個人事業主） 1件" in output
    assert "源泉徴収のある請求書 1件" in output
    assert "値引きのある請求書 1件" in output
    assert "支払日前の支払バッチ 1件" in output
    assert "職員の招待 2件" in output
    supplier = yamada()
    assert supplier.legal_form == LegalForm.INDIVIDUAL
    assert supplier.seal_image
    assert Invoice.objects.get(number=WITHHOLDING_INVOICE_NUMBER).withholding_tax > 0
    assert PaymentBatch.objects.filter(status=BatchStatus.EXPORTED).exists()
    before = counts()
    assert "変更なし" in seed_demo()
    assert counts() == before


def test_the_orders_approved_invoice_carries_its_accounting_to_the_treasury(
    client, output
):
    from municipality.models import InvoiceAccounting
    from procurement.models import Order

    order = Order.objects.get(number="R-DEMO-007")
    record = InvoiceAccounting.objects.get(invoice__order_link__order=order)
    assert record.invoice.status == InvoiceStatus.APPROVED
    assert (record.fiscal_year, record.budget_code) == (
        order.fiscal_year,
        order.budget_code,
    )
    assert record.commitment_number == "R-DEMO-007"
    # Approved and paid invoices all have their record.
    assert not Invoice.objects.filter(
        status__in=(
            InvoiceStatus.APPROVED,
            InvoiceStatus.SCHEDULED,
            InvoiceStatus.PAID,
        ),
        accounting__isnull=True,
    ).exists()
    client.force_login(User.objects.get(email="kanoya-treasury@example.jp"))
    page = client.get(
        reverse("city:payables", kwargs={"municipality_slug": "kanoya"}),
        {"fiscal_year": order.fiscal_year, "budget_code": order.budget_code.pk},
    ).content.decode()
    assert record.invoice.number in page
