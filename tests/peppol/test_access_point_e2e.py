"""End to end through the adapters: a document received through the
loopback access point or dropped in the inbox folder is imported by the
beat job exactly as an upload is; the city's decisions (receipt, return,
approval, payment, refusal in the 宛先不明 queue) go back to the sender as
valid Invoice Responses through the same adapter; suppliers who did not
come over Peppol get none."""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from lxml import etree

from invoices.models import InvoiceStatus, ReturnReason, ReturnSeverity
from invoices.services.decisions import invoice_approve, invoice_return
from municipality.models import StaffRole
from municipality.treasury.services.batch_moves import batch_export, batch_mark_paid
from municipality.treasury.services.batches import batch_add_invoices, batch_create
from peppol.access_point.loopback import loopback_deliver
from peppol.access_point.sbdh import sbdh_unwrap
from peppol.access_point.services import access_point_settings_save
from peppol.inbound import inbound_reject
from peppol.models import (
    AccessPointKind,
    AccessPointSettings,
    InboundDocument,
    InboundSource,
    InboundStatus,
    LoopbackDirection,
    LoopbackMessage,
    MessageStatus,
    OutgoingMessage,
)
from peppol.responses import CBC
from peppol.tasks import access_points_poll_task
from peppol.validation import fatal, official_problems
from tests.factories import (
    ConnectionFactory,
    DepartmentFactory,
    MunicipalityFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    login_through_form,
    make_invoice,
    payment_day_reached,
)
from tests.municipality.test_treasury_support import (
    business_day_after,
    make_bank_account,
    make_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exchange_root(settings, tmp_path):
    """The folder shared with the provider: the test's own."""
    settings.PEPPOL_EXCHANGE_ROOT = str(tmp_path)


EXAMPLES = "jp-pint/billing/examples/Japan PINT Invoice UBL "
MINIMUM = EXAMPLES + "Example1-minimum.xml"
CITY_ID = "0188:3210987654321"
SELLER_ID = "0188:1234567890123"
RESPONSE_DOCTYPE = (
    "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
    "::ApplicationResponse##urn:fdc:peppol.eu:poacc:trns:invoice_response:3::2.1"
)


@pytest.fixture
def minimum(peppol_artifacts, settings) -> bytes:
    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)
    return (peppol_artifacts / MINIMUM).read_bytes()


@pytest.fixture
def world():
    """The buyer, department and seller the official examples name (dummy
    numbers, created without the forms' check digits), a department clerk
    and the treasury."""
    municipality = MunicipalityFactory(
        name="例示市",
        local_government_code="999997",
        corporate_number="3210987654321",
        slug="example-city",
    )
    department = DepartmentFactory(municipality=municipality, code="0150abc")
    supplier = SupplierFactory(
        registration_number="T1234567890123", corporate_number="1234567890123"
    )
    make_bank_account(supplier)
    SupplierMembershipFactory(supplier=supplier)
    ConnectionFactory(supplier=supplier, department=department)
    clerk = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.DEPARTMENT, departments=[department]
    ).user
    cashier = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.TREASURY
    ).user
    return {
        "municipality": municipality,
        "department": department,
        "supplier": supplier,
        "clerk": clerk,
        "treasury": cashier,
    }


def configure(municipality, **values) -> AccessPointSettings:
    with scope(municipality=municipality.pk):
        return access_point_settings_save(
            municipality=municipality,
            values={"participant_id": CITY_ID, "enabled": True, **values},
        )


def poll(capture) -> None:
    """What celery beat does every two minutes."""
    with capture(execute=True):
        access_points_poll_task.delay()


def drop(inbox: Path, name: str, content: bytes) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(content)
    settled = time.time() - 60  # the provider finished writing a minute ago
    os.utime(path, (settled, settled))
    return path


def responses(municipality) -> list[OutgoingMessage]:
    with scopes_disabled():
        return list(OutgoingMessage.objects.filter(municipality=municipality))


def response_of(xml: bytes) -> dict:
    root = etree.fromstring(xml)
    return {
        "code": root.findtext(f".//{{{CBC}}}ResponseCode"),
        "receiver": root.find(f".//{{{CBC}}}EndpointID[@schemeID='0188']/..")
        is not None,
        "reasons": {
            e.get("listID"): e.text for e in root.iter(f"{{{CBC}}}StatusReasonCode")
        },
        "invoice": root.findtext(
            f".//{{urn:oasis:names:specification:ubl:schema:xsd:"
            f"CommonAggregateComponents-2}}DocumentReference/{{{CBC}}}ID"
        ),
    }


def assert_valid_t111(xml: bytes) -> None:
    assert fatal(official_problems(xml, profile="invoice-response")) == []


def imported_invoice(municipality):
    with scopes_disabled():
        document = InboundDocument.objects.get(municipality=municipality)
        assert document.status == InboundStatus.IMPORTED, document.problems
        return document, document.invoice


# Loopback ---------------------------------------------------------------------


def test_loopback_inbound_goes_through_the_upload_import_and_is_acknowledged(
    world, minimum, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.LOOPBACK)
    with scopes_disabled():
        loopback_deliver(municipality=municipality, xml=minimum, filename="156.xml")
    poll(django_capture_on_commit_callbacks)

    document, invoice = imported_invoice(municipality)
    assert document.source == InboundSource.ACCESS_POINT
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.department == world["department"]
    assert invoice.number == "156"
    with scopes_disabled(), document.file.open("rb") as stored:
        assert stored.read() == minimum  # the original, unchanged
    with scopes_disabled():
        inbox = LoopbackMessage.objects.get(direction=LoopbackDirection.IN)
        assert inbox.done_at
        assert not inbox.error
    # AB went back to the seller through the loopback access point.
    (ab,) = responses(municipality)
    assert (ab.response_code, ab.status, ab.receiver) == ("AB", "sent", SELLER_ID)
    assert_valid_t111(bytes(ab.xml))
    with scopes_disabled():
        sent = LoopbackMessage.objects.get(direction=LoopbackDirection.OUT)
    payload, envelope = sbdh_unwrap(bytes(sent.xml))
    assert payload == etree.tostring(
        etree.fromstring(bytes(ab.xml)), xml_declaration=True, encoding="UTF-8"
    )
    assert (envelope["sender"], envelope["receiver"]) == (CITY_ID, SELLER_ID)
    # A second poll takes nothing twice.
    poll(django_capture_on_commit_callbacks)
    with scopes_disabled():
        assert InboundDocument.objects.count() == 1
    assert len(responses(municipality)) == 1


# Directory ----------------------------------------------------------------------


def test_directory_inbox_is_imported_by_the_beat_job_and_moved(
    world, minimum, tmp_path, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.DIRECTORY, directory=str(tmp_path))
    drop(tmp_path / "inbox", "156.xml", minimum)
    drop(tmp_path / "inbox", "broken.xml", b"<Invoice><unclosed></Invoice>")
    drop(tmp_path / "inbox", "busy.xml.tmp", b"half a file")
    fresh = tmp_path / "inbox" / "arriving.xml"
    fresh.write_bytes(minimum)  # written just now: left for the next poll

    poll(django_capture_on_commit_callbacks)

    document, invoice = imported_invoice(municipality)
    assert document.source == InboundSource.DIRECTORY
    assert invoice.status == InvoiceStatus.ISSUED
    assert (tmp_path / "processed" / "156.xml").read_bytes() == minimum
    assert (tmp_path / "failed" / "broken.xml").is_file()
    reason = (tmp_path / "failed" / "broken.xml.reason.txt").read_text()
    assert "XML として読み取れません" in reason
    assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == [
        "arriving.xml",
        "busy.xml.tmp",
    ]
    # The AB sits in the outbox, in its SBDH envelope.
    (ab,) = responses(municipality)
    written = tmp_path / "outbox" / ab.message_id
    payload, envelope = sbdh_unwrap(written.read_bytes())
    assert_valid_t111(payload)
    assert envelope == {
        "sender": CITY_ID,
        "receiver": SELLER_ID,
        "instance_id": str(ab.instance_id),
        "created_at": envelope["created_at"],
        "documentid": RESPONSE_DOCTYPE,
        "processid": "urn:fdc:peppol.eu:poacc:bis:invoice_response:3",
        "country_c1": "JP",
    }
    assert envelope["created_at"].endswith("+09:00")
    # The provider delivers it; the next poll records that.
    (tmp_path / "sent").mkdir()
    os.replace(written, tmp_path / "sent" / ab.message_id)
    poll(django_capture_on_commit_callbacks)
    with scopes_disabled():
        ab.refresh_from_db()
    assert ab.status == MessageStatus.DELIVERED


def test_a_document_that_fails_the_rules_goes_to_failed_with_its_rule(
    world, minimum, tmp_path, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.DIRECTORY, directory=str(tmp_path))
    wrong = minimum.replace(b"urn:peppol:pint:billing-1@jp-1", b"urn:cen.eu:en16931")
    drop(tmp_path / "inbox", "wrong.xml", wrong)
    poll(django_capture_on_commit_callbacks)
    reason = (tmp_path / "failed" / "wrong.xml.reason.txt").read_text()
    assert "ルール" in reason
    with scopes_disabled():
        document = InboundDocument.objects.get()
    assert document.status == InboundStatus.FAILED  # kept, not dropped
    assert responses(municipality) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "Example2-TaxAcctCur.xml",
            "日本円以外の通貨（EUR）の請求書は受け付けられません",
        ),
        ("Example7-Return.Quan.ItPr.xml", "請求金額の合計がマイナスになります"),
    ],
)
def test_a_refused_example_from_the_access_point_waits_in_the_queue_for_a_re(
    world, minimum, client, name, reason, django_capture_on_commit_callbacks
):
    """Refused on upload, but over Peppol nothing is dropped: the document
    waits in the city admin's queue with the reason, and the admin rejects
    it with an Invoice Response RE."""
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.LOOPBACK)
    xml = Path(settings.PEPPOL_ARTIFACTS_DIR, EXAMPLES + name).read_bytes()
    with scopes_disabled():
        loopback_deliver(municipality=municipality, xml=xml, filename=name)
    poll(django_capture_on_commit_callbacks)
    with scopes_disabled():
        document = InboundDocument.objects.get()
    assert document.status == InboundStatus.FAILED
    assert document.municipality == municipality
    assert reason in document.reason
    admin = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.CITY_ADMIN
    ).user
    client.force_login(admin)
    queue = client.get(f"/m/{municipality.slug}/manage/inbound/")
    assert document.document_number in queue.content.decode()
    page = client.get(f"/m/{municipality.slug}/manage/inbound/{document.pk}/")
    assert reason in page.content.decode()
    with (
        scope(municipality=municipality.pk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        inbound_reject(document=document, actor=admin, reason=reason, action="NIN")
    (re,) = [r for r in responses(municipality) if r.response_code == "RE"]
    assert_valid_t111(bytes(re.xml))


# Decisions ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", [AccessPointKind.LOOPBACK, AccessPointKind.DIRECTORY])
def test_a_return_by_the_department_sends_re_through_the_adapter(
    world, minimum, tmp_path, kind, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=kind, directory=str(tmp_path))
    if kind == AccessPointKind.LOOPBACK:
        with scopes_disabled():
            loopback_deliver(municipality=municipality, xml=minimum)
    else:
        drop(tmp_path / "inbox", "156.xml", minimum)
    poll(django_capture_on_commit_callbacks)
    _document, invoice = imported_invoice(municipality)
    with (
        scope(municipality=municipality.pk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoice_return(
            invoice=invoice,
            actor=world["clerk"],
            reason=ReturnReason.TAX,
            explanation="軽減税率の品目に10%が適用されています。",
            severity=ReturnSeverity.MINOR,
        )
    _ab, re = responses(municipality)
    assert (re.response_code, re.status) == ("RE", MessageStatus.SENT)
    assert_valid_t111(bytes(re.xml))
    said = response_of(bytes(re.xml))
    assert said["reasons"] == {"OPStatusReason": "LEG", "OPStatusAction": "NIN"}
    assert said["invoice"] == "156"
    assert "軽減税率" in bytes(re.xml).decode()
    if kind == AccessPointKind.DIRECTORY:
        assert (
            sbdh_unwrap((tmp_path / "outbox" / re.message_id).read_bytes())[1][
                "receiver"
            ]
            == SELLER_ID
        )


def test_approval_and_payment_send_ap_and_pd(
    world, minimum, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.LOOPBACK)
    with scopes_disabled():
        loopback_deliver(municipality=municipality, xml=minimum)
        make_settings(municipality)
    poll(django_capture_on_commit_callbacks)
    _document, invoice = imported_invoice(municipality)
    with (
        scopes_disabled(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoice = invoice_approve(
            invoice=invoice, actor=world["clerk"], inspection_date=timezone.localdate()
        )
        batch = batch_create(
            municipality=municipality,
            payment_date=business_day_after(timezone.localdate()),
            actor=world["treasury"],
        )
        batch_add_invoices(
            batch=batch, invoice_ids=[invoice.pk], actor=world["treasury"]
        )
        batch_export(batch=batch, actor=world["treasury"])
        payment_day_reached(batch)
        batch_mark_paid(batch=batch, actor=world["treasury"])
    codes = [m.response_code for m in responses(municipality)]
    assert codes == ["AB", "AP", "PD"]
    for message in responses(municipality):
        assert message.status == MessageStatus.SENT
        assert_valid_t111(bytes(message.xml))
    pd = responses(municipality)[-1]
    assert etree.fromstring(bytes(pd.xml)).findtext(f".//{{{CBC}}}EffectiveDate")


def test_a_refusal_in_the_unknown_addressee_queue_sends_re(
    world, minimum, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.LOOPBACK)
    with scopes_disabled():
        # The seller is not connected to any department: 宛先不明.
        world["supplier"].connections.all().delete()
        loopback_deliver(municipality=municipality, xml=minimum)
    poll(django_capture_on_commit_callbacks)
    with scopes_disabled():
        document = InboundDocument.objects.get()
    assert document.status == InboundStatus.UNKNOWN_ADDRESSEE
    admin = StaffMembershipFactory(
        municipality=municipality, role=StaffRole.CITY_ADMIN
    ).user
    with (
        scope(municipality=municipality.pk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        inbound_reject(
            document=document,
            actor=admin,
            reason="当市との取引の登録がありません。",
            action="NIN",
        )
    (re,) = responses(municipality)
    assert (re.response_code, re.receiver) == ("RE", SELLER_ID)
    assert_valid_t111(bytes(re.xml))
    assert response_of(bytes(re.xml))["reasons"]["OPStatusAction"] == "NIN"


def test_no_response_for_an_invoice_that_did_not_come_over_peppol(
    world, minimum, django_capture_on_commit_callbacks
):
    """A screen-entered invoice's supplier may not be on Peppol at all: it
    hears of decisions through the portal and email only."""
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.LOOPBACK)
    with scopes_disabled():
        connection = world["supplier"].connections.get()
        owner = world["supplier"].memberships.get().user
    with (
        scopes_disabled(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoice = make_invoice(connection=connection, actor=owner)
        invoice_return(
            invoice=invoice,
            actor=world["clerk"],
            reason=ReturnReason.AMOUNT,
            explanation="金額が違います。",
            severity=ReturnSeverity.MINOR,
        )
    assert responses(municipality) == []


def test_no_response_without_an_active_access_point(
    world, minimum, tmp_path, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    settings = configure(
        municipality, kind=AccessPointKind.DIRECTORY, directory=str(tmp_path)
    )
    drop(tmp_path / "inbox", "156.xml", minimum)
    poll(django_capture_on_commit_callbacks)
    (ab,) = responses(municipality)
    with scopes_disabled():
        settings.enabled = False
        settings.save()
    _document, invoice = imported_invoice(municipality)
    with (
        scopes_disabled(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoice_approve(
            invoice=invoice, actor=world["clerk"], inspection_date=timezone.localdate()
        )
    assert responses(municipality) == [ab]


def test_the_staff_invoice_page_shows_the_responses(
    client, world, minimum, django_capture_on_commit_callbacks
):
    municipality = world["municipality"]
    configure(municipality, kind=AccessPointKind.LOOPBACK)
    with scopes_disabled():
        loopback_deliver(municipality=municipality, xml=minimum)
    poll(django_capture_on_commit_callbacks)
    _document, invoice = imported_invoice(municipality)
    login_through_form(client, world["clerk"].email)
    page = client.get(
        reverse(
            "city:invoice",
            kwargs={"municipality_slug": municipality.slug, "pk": invoice.pk},
        )
    ).content.decode()
    assert "インボイスレスポンス（Peppol）" in page
    assert "受領（AB）" in page
    assert "アクセスポイントに引渡し済み" in page
