"""The JP PINT upload through the supplier's pages (preview, all or
nothing, double submit, duplicates, the seller must be the uploader, ZIP
limits), the original XML next to the PDF, and the city administrator's
宛先不明 queue (assign, reject, invite the unknown sender)."""

import io
import re
import zipfile
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from invoices.models import EventKind, Invoice, InvoiceEvent, InvoiceStatus
from municipality.models import StaffRole
from peppol import uploads
from peppol.inbound import inbound_receive
from peppol.models import InboundDocument, InboundStatus, JpPintUpload, UploadStatus
from tests.factories import (
    ConnectionFactory,
    StaffMembershipFactory,
    SupplierFactory,
    SupplierMembershipFactory,
)
from tests.peppol.test_inbound import BILLION_LAUGHS, EXAMPLES, xxe

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/supplier/pint/upload/"
MINIMUM = "Japan PINT Invoice UBL Example1-minimum.xml"
SUM1 = "Japan PINT Invoice UBL Example3-SumInv1.xml"
RETURN = "Japan PINT Invoice UBL Example7-Return.Quan.ItPr.xml"


@pytest.fixture
def world(peppol_artifacts, settings):
    """The examples' buyer (3210987654321), with a city admin, a department
    and its staff, and the seller T1234567890123 connected to it."""
    from tests.conftest import make_tenant

    settings.PEPPOL_ARTIFACTS_DIR = str(peppol_artifacts)
    tenant = make_tenant(
        name="例示市",
        name_kana="レイジシ",
        local_government_code="999997",
        corporate_number="3210987654321",
        slug="example-city",
    )
    supplier = SupplierFactory(
        registration_number="T1234567890123", corporate_number="1234567890123"
    )
    owner = SupplierMembershipFactory(supplier=supplier).user
    ConnectionFactory(supplier=supplier, department=tenant.department)
    tenant.supplier = supplier
    tenant.owner = owner
    tenant.examples = peppol_artifacts / EXAMPLES
    return tenant


def example(world, name) -> bytes:
    return (world.examples / name).read_bytes()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def upload(client, name: str, data: bytes):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, data)})


def last_upload() -> JpPintUpload:
    return JpPintUpload.objects.order_by("-pk").first()


def test_the_csv_upload_page_links_to_the_jp_pint_upload(client, world):
    client.force_login(world.owner)
    page = client.get("/supplier/invoices/import/").content.decode()
    assert UPLOAD_URL in page


def test_a_zip_of_two_examples_is_previewed_then_imported_once(client, world):
    client.force_login(world.owner)
    data = zip_of({"a.xml": example(world, MINIMUM), "b.xml": example(world, SUM1)})
    response = upload(client, "invoices.zip", data)
    item = last_upload()
    assert response.status_code == 302
    assert response["Location"] == f"{UPLOAD_URL}{item.pk}/"
    assert item.status == UploadStatus.READY, item.preview
    page = client.get(response["Location"]).content.decode()
    assert "281,240" in page
    assert "289,490" in page
    assert "2件の請求書を発行する" in page
    with scopes_disabled():
        assert not Invoice.objects.exists()  # nothing before the confirm

    client.post(f"{UPLOAD_URL}{item.pk}/confirm/")
    second = client.post(f"{UPLOAD_URL}{item.pk}/confirm/", follow=True)
    assert "二重に取り込まれることはありません" in second.content.decode()
    item.refresh_from_db()
    assert item.status == UploadStatus.DONE
    with scopes_disabled():
        invoices = Invoice.objects.filter(supplier=world.supplier)
        assert sorted(invoices.values_list("number", flat=True)) == ["103", "156"]
        assert set(invoices.values_list("status", flat=True)) == {InvoiceStatus.ISSUED}
        assert InboundDocument.objects.count() == 2

    # The same file again is refused before anything is stored.
    response = upload(client, "again.zip", data)
    assert response.status_code == 200
    assert "取り込み済みです" in response.content.decode()


def test_one_bad_document_in_a_zip_imports_nothing(client, world):
    client.force_login(world.owner)
    data = zip_of({"a.xml": example(world, MINIMUM), "r.xml": example(world, RETURN)})
    upload(client, "mixed.zip", data)
    item = last_upload()
    assert item.status == UploadStatus.INVALID
    page = client.get(f"{UPLOAD_URL}{item.pk}/").content.decode()
    assert "r.xml" in page
    assert "マイナス" in page  # the Japanese message…
    assert "portal-negative-total" in page  # …and the rule ID for experts
    assert "発行する</button>" not in page
    response = client.post(f"{UPLOAD_URL}{item.pk}/confirm/", follow=True)
    assert "二重に取り込まれる" in response.content.decode()
    with scopes_disabled():
        assert not Invoice.objects.exists()
        assert not InboundDocument.objects.exists()


def test_an_official_rule_id_is_kept_for_experts(client, world):
    client.force_login(world.owner)
    broken = example(world, MINIMUM).replace(
        b'<cbc:TaxAmount currencyID="JPY">25250<',
        b'<cbc:TaxAmount currencyID="JPY">25260<',
    )
    upload(client, "broken.xml", broken)
    page = client.get(f"{UPLOAD_URL}{last_upload().pk}/").content.decode()
    assert "aligned-ibrp-051-jp" in page
    assert "端数処理の範囲" in page


def test_a_supplier_cannot_upload_another_sellers_invoice(client, world):
    stranger = SupplierMembershipFactory().user
    with scopes_disabled():
        ConnectionFactory(
            supplier=stranger.supplier_membership.supplier,
            department=world.department,
        )
    client.force_login(stranger)
    upload(client, "theirs.xml", example(world, MINIMUM))
    item = last_upload()
    assert item.status == UploadStatus.INVALID
    assert {e["rule"] for e in item.preview["errors"]} == {"portal-seller"}
    assert "あなたの事業者ではありません" in item.preview["errors"][0]["message"]


def test_the_confirm_imports_nothing_when_things_changed_since(client, world):
    """The connection was closed between preview and confirm: nothing is
    created, the upload says why."""
    client.force_login(world.owner)
    upload(client, "a.xml", example(world, MINIMUM))
    item = last_upload()
    assert item.status == UploadStatus.READY
    with scopes_disabled():
        world.supplier.connections.update(is_active=False)
    client.post(f"{UPLOAD_URL}{item.pk}/confirm/")
    item.refresh_from_db()
    assert item.status == UploadStatus.FAILED
    assert item.result["errors"]
    with scopes_disabled():
        assert not Invoice.objects.exists()
        assert not InboundDocument.objects.exists()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../evil.xml": b"<a/>"}, "受け付けられません"),
        ({"/etc/evil.xml": b"<a/>"}, "受け付けられません"),
        ({"dir/sub.xml": b"<a/>", "../../x.xml": b"<a/>"}, "受け付けられません"),
        ({"notes.txt": b"hello"}, "受け付けられません"),
        ({".hidden.xml": b"<a/>"}, "受け付けられません"),
    ],
)
def test_zip_path_tricks_and_other_members_are_refused(client, world, members, message):
    client.force_login(world.owner)
    upload(client, "tricks.zip", zip_of(members))
    item = last_upload()
    assert item.status == UploadStatus.INVALID
    assert message in item.preview["errors"][0]["message"]


def test_a_zip_bomb_stops_at_the_limit(client, world, settings):
    """A member that unpacks to far more than it claims is cut off at the
    per-document limit, whatever its header says."""
    settings.PEPPOL_MAX_DOCUMENT_BYTES = 1024 * 1024
    client.force_login(world.owner)
    bomb = zip_of({"bomb.xml": b"<a>" + b" " * (50 * 1024 * 1024) + b"</a>"})
    assert len(bomb) < 200 * 1024
    upload(client, "bomb.zip", bomb)
    item = last_upload()
    assert item.status == UploadStatus.INVALID
    message = item.preview["errors"][0]["message"]
    assert "ZIPの中の「bomb.xml」は展開すると大きすぎます" in message


def test_too_many_members_are_refused(client, world, monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_MEMBERS", 2)
    client.force_login(world.owner)
    upload(client, "many.zip", zip_of({f"{n}.xml": b"<a/>" for n in range(3)}))
    assert "多すぎます" in last_upload().preview["errors"][0]["message"]


@pytest.mark.parametrize("kind", ["billion_laughs", "xxe"])
def test_entity_attacks_are_refused_on_upload(client, world, kind, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    client.force_login(world.owner)
    data = BILLION_LAUGHS if kind == "billion_laughs" else xxe(secret)
    upload(client, "evil.xml", data)
    item = last_upload()
    assert item.status == UploadStatus.INVALID
    page = client.get(f"{UPLOAD_URL}{item.pk}/").content.decode()
    assert "DOCTYPE" in page
    assert "TOP-SECRET-VALUE" not in page
    assert "lollol" not in page


def test_an_upload_of_another_supplier_answers_404(client, world):
    client.force_login(world.owner)
    upload(client, "a.xml", example(world, MINIMUM))
    item = last_upload()
    client.force_login(SupplierMembershipFactory().user)
    assert client.get(f"{UPLOAD_URL}{item.pk}/").status_code == 404
    assert client.post(f"{UPLOAD_URL}{item.pk}/confirm/").status_code == 404
    item.refresh_from_db()
    assert item.status == UploadStatus.READY


# Seen as an invoice -------------------------------------------------------------


@pytest.fixture
def imported(world):
    document = inbound_receive(
        xml=example(world, MINIMUM),
        filename=MINIMUM,
        source="access_point",
    )
    assert document.status == InboundStatus.IMPORTED, document.problems
    return document


def test_supplier_and_staff_see_the_imported_invoice_and_its_original(
    client, world, imported
):
    invoice = imported.invoice
    original = example(world, MINIMUM)
    for user, page_url, xml_url in (
        (
            world.owner,
            f"/supplier/invoices/{invoice.pk}/",
            f"/supplier/pint/invoices/{invoice.pk}/original.xml",
        ),
        (
            world.department_staff,
            f"/m/example-city/invoices/{invoice.pk}/",
            f"/m/example-city/pint/invoices/{invoice.pk}/original.xml",
        ),
    ):
        client.force_login(user)
        page = client.get(page_url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "受信した原本（XML）" in html
        assert xml_url in html
        assert "pdf/" in html  # the same page, PDF included
        before = (
            InvoiceEvent.objects.with_scopes_disabled()
            .filter(kind=EventKind.DOWNLOADED)
            .count()
        )
        response = client.get(xml_url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == original
        assert "attachment" in response["Content-Disposition"]
        event = (
            InvoiceEvent.objects.with_scopes_disabled()
            .filter(kind=EventKind.DOWNLOADED)
            .last()
        )
        assert InvoiceEvent.objects.with_scopes_disabled().filter(
            kind=EventKind.DOWNLOADED
        ).count() == (before + 1)
        assert event.actor == user
        assert event.data["format"] == "jp-pint-original"
        assert event.data["sha256"] == imported.sha256


def test_a_screen_entered_invoice_has_no_original(client, world, supplier_user):
    from tests.factories import make_invoice

    with scopes_disabled():
        connection = supplier_user.supplier_membership.supplier.connections.first()
        invoice = make_invoice(connection=connection, actor=supplier_user)
    client.force_login(supplier_user)
    assert (
        "受信した原本"
        not in client.get(f"/supplier/invoices/{invoice.pk}/").content.decode()
    )
    url = f"/supplier/pint/invoices/{invoice.pk}/original.xml"
    assert client.get(url).status_code == 404


def test_others_get_404_for_the_original(client, world, imported, other_tenant):
    invoice = imported.invoice
    client.force_login(SupplierMembershipFactory().user)
    assert (
        client.get(f"/supplier/pint/invoices/{invoice.pk}/original.xml").status_code
        == 404
    )
    client.force_login(other_tenant.department_staff)
    assert (
        client.get(f"/m/kirishima/pint/invoices/{invoice.pk}/original.xml").status_code
        == 404
    )
    other_staff = StaffMembershipFactory(
        municipality=world.municipality,
        role=StaffRole.DEPARTMENT,
        departments=[world.other_department],
    ).user
    client.force_login(other_staff)
    assert (
        client.get(
            f"/m/example-city/pint/invoices/{invoice.pk}/original.xml"
        ).status_code
        == 404
    )


# The 宛先不明 queue -----------------------------------------------------------

QUEUE = "/m/example-city/manage/inbound/"


@pytest.fixture
def queued(world):
    """Example1 from a sender the city does not know yet."""
    with scopes_disabled():
        world.supplier.registration_number = "T7000012050002"
        world.supplier.corporate_number = ""
        world.supplier.save()
    document = inbound_receive(
        xml=example(world, MINIMUM), filename=MINIMUM, source="access_point"
    )
    assert document.status == InboundStatus.UNKNOWN_ADDRESSEE
    return document


def test_only_the_city_admin_sees_the_queue(client, world, queued, other_tenant):
    detail = f"{QUEUE}{queued.pk}/"
    for user in (world.department_staff, world.treasury, world.owner):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 404
        assert client.get(detail).status_code == 404
    client.force_login(other_tenant.city_admin)
    assert client.get(f"/m/kirishima/manage/inbound/{queued.pk}/").status_code == 404
    client.force_login(world.city_admin)
    listing = client.get(QUEUE).content.decode()
    assert detail in listing
    page = client.get(detail).content.decode()
    assert "T1234567890123" in page
    assert "取引先として登録されていません" in page


def test_the_unknown_sender_is_invited_with_the_documents_data(client, world, queued):
    client.force_login(world.city_admin)
    page = client.get(f"{QUEUE}{queued.pk}/").content.decode()
    match = re.search(r'href="(/m/example-city/manage/invitations/new/\?[^"]+)"', page)
    assert match, "no invitation link"
    url = match.group(1).replace("&amp;", "&")
    query = parse_qs(urlparse(url).query)
    assert query["registration_number"] == ["T1234567890123"]
    form = client.get(url).content.decode()
    assert 'value="T1234567890123"' in form
    assert "株式会社" in form or queued.seller_name in form


def test_the_city_admin_assigns_a_department_then_it_is_imported(client, world, queued):
    with scopes_disabled():
        world.supplier.registration_number = "T1234567890123"
        world.supplier.save()
    client.force_login(world.city_admin)
    response = client.post(
        f"{QUEUE}{queued.pk}/",
        {"action": "assign", "department": world.department.pk},
        follow=True,
    )
    assert "取り込みました" in response.content.decode()
    queued.refresh_from_db()
    assert queued.status == InboundStatus.IMPORTED
    assert queued.decided_by == world.city_admin
    with scopes_disabled():
        assert queued.invoice.department == world.department


def test_a_department_of_another_city_cannot_be_assigned(
    client, world, queued, other_tenant
):
    client.force_login(world.city_admin)
    response = client.post(
        f"{QUEUE}{queued.pk}/",
        {"action": "assign", "department": other_tenant.department.pk},
    )
    assert response.status_code == 200
    queued.refresh_from_db()
    assert queued.status == InboundStatus.UNKNOWN_ADDRESSEE


def test_the_city_admin_rejects_with_a_reason(client, world, queued):
    client.force_login(world.city_admin)
    url = f"{QUEUE}{queued.pk}/"
    response = client.post(url, {"action": "reject", "response_action": "NIN"})
    assert "受取拒否の理由を入力してください" in response.content.decode()
    client.post(
        url,
        {
            "action": "reject",
            "reason": "当市の取引先ではありません。",
            "response_action": "OTH",
        },
    )
    queued.refresh_from_db()
    assert queued.status == InboundStatus.REJECTED
    assert queued.reason == "当市の取引先ではありません。"
    assert queued.rejection_action == "OTH"
    assert queued.decided_by == world.city_admin
    # Kept, and its original still there.
    response = client.get(f"{url}original.xml")
    assert b"".join(response.streaming_content) == example(world, MINIMUM)


def test_a_document_without_municipality_is_only_in_the_admin(client, world):
    from tests.factories import UserFactory

    with scopes_disabled():
        world.municipality.corporate_number = "7000012050002"
        world.municipality.save()
    document = inbound_receive(
        xml=example(world, MINIMUM), filename=MINIMUM, source="access_point"
    )
    assert document.municipality is None
    client.force_login(world.city_admin)
    assert document.document_number not in client.get(QUEUE).content.decode()
    assert client.get(f"{QUEUE}{document.pk}/").status_code == 404
    # The Django admin (platform administrators, scopes disabled) has it.
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[InboundDocument]
    assert document in model_admin.get_queryset(request)


def test_other_statuses_of_the_queue_are_listed(client, world, queued):
    client.force_login(world.city_admin)
    assert (
        f"{QUEUE}{queued.pk}/"
        not in client.get(f"{QUEUE}?state=imported").content.decode()
    )
    client.post(
        f"{QUEUE}{queued.pk}/",
        {"action": "reject", "reason": "誤り", "response_action": "NIN"},
    )
    assert f"{QUEUE}{queued.pk}/" not in client.get(QUEUE).content.decode()
    assert (
        f"{QUEUE}{queued.pk}/" in client.get(f"{QUEUE}?state=rejected").content.decode()
    )
