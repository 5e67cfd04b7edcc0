"""The access-point adapters: the interface, the SBDH envelope, the
loopback and directory adapters, outgoing messages and their retries, and
the city administrators' settings page."""

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from lxml import etree

from config.celery_app import app as celery_app
from peppol.access_point import AccessPoint, DeliveryStatus, OutgoingDocument
from peppol.access_point.base import RESPONSE_DOCUMENT_TYPE, RESPONSE_PROCESS
from peppol.access_point.directory import DirectoryAccessPoint
from peppol.access_point.loopback import LoopbackAccessPoint
from peppol.access_point.sbdh import SBDH_NS, EnvelopeError, sbdh_unwrap, sbdh_wrap
from peppol.access_point.services import access_point_settings_save, peppol_send
from peppol.models import (
    AccessPointKind,
    AccessPointSettings,
    LoopbackMessage,
    MessageStatus,
    OutgoingMessage,
)
from tests.factories import login_through_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exchange_root(settings, tmp_path):
    """The folder shared with the provider: the test's own."""
    settings.PEPPOL_EXCHANGE_ROOT = str(tmp_path)


RESPONSE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<ApplicationResponse xmlns='
    b'"urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2">'
    b"<x>1</x></ApplicationResponse>"
)
Q = f"{{{SBDH_NS}}}"


def outgoing(**overrides) -> OutgoingDocument:
    values = {
        "xml": RESPONSE,
        "sender": "0188:8000020462039",
        "receiver": "0221:T1234567890123",
        "document_type": RESPONSE_DOCUMENT_TYPE,
        "process": RESPONSE_PROCESS,
        "instance_id": "7f0c2b7e-7c43-4d7e-9d0b-4c1b0a9e3f10",
        "created_at": datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("Asia/Tokyo")),
        **overrides,
    }
    return OutgoingDocument(**values)


def settings_for(municipality, **values) -> AccessPointSettings:
    with scope(municipality=municipality.pk):
        return access_point_settings_save(
            municipality=municipality,
            values={
                "participant_id": f"0188:{municipality.corporate_number}",
                "enabled": True,
                **values,
            },
        )


# The envelope ---------------------------------------------------------------


def test_sbdh_carries_the_peppol_envelope_metadata():
    root = etree.fromstring(sbdh_wrap(outgoing()))
    header = root.find(Q + "StandardBusinessDocumentHeader")
    sender = header.find(f"{Q}Sender/{Q}Identifier")
    receiver = header.find(f"{Q}Receiver/{Q}Identifier")
    assert (sender.get("Authority"), sender.text) == (
        "iso6523-actorid-upis",
        "0188:8000020462039",
    )
    assert (receiver.get("Authority"), receiver.text) == (
        "iso6523-actorid-upis",
        "0221:T1234567890123",
    )
    ident = header.find(Q + "DocumentIdentification")
    assert ident.findtext(Q + "Standard") == (
        "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
    )
    assert ident.findtext(Q + "Type") == "ApplicationResponse"
    assert ident.findtext(Q + "TypeVersion") == "2.1"
    assert ident.findtext(Q + "InstanceIdentifier") == outgoing().instance_id
    assert ident.findtext(Q + "CreationDateAndTime") == "2026-11-27T09:30:00+09:00"
    scopes = {
        s.findtext(Q + "Type"): (
            s.findtext(Q + "InstanceIdentifier"),
            s.findtext(Q + "Identifier"),
        )
        for s in header.iterfind(f"{Q}BusinessScope/{Q}Scope")
    }
    assert scopes == {
        "DOCUMENTID": (RESPONSE_DOCUMENT_TYPE, "busdox-docid-qns"),
        "PROCESSID": (RESPONSE_PROCESS, "cenbii-procid-ubl"),
        "COUNTRY_C1": ("JP", None),
    }
    # The business document follows the header, unchanged.
    assert etree.QName(root[1]).localname == "ApplicationResponse"


def test_unwrap_gives_the_document_and_the_envelope():
    payload, envelope = sbdh_unwrap(sbdh_wrap(outgoing()))
    assert (
        etree.fromstring(payload).findtext(
            "{urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2}x"
        )
        == "1"
    )
    assert envelope["sender"] == "0188:8000020462039"
    assert envelope["documentid"] == RESPONSE_DOCUMENT_TYPE


def test_unwrap_leaves_a_bare_document_byte_for_byte():
    assert sbdh_unwrap(RESPONSE) == (RESPONSE, {})


@pytest.mark.parametrize(
    "xml",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        (
            f'<StandardBusinessDocument xmlns="{SBDH_NS}">'
            "<StandardBusinessDocumentHeader/></StandardBusinessDocument>"
        ).encode(),
    ],
    ids=["not-xml", "entity", "empty-envelope"],
)
def test_unwrap_refuses_what_is_not_one_safe_document(xml):
    with pytest.raises(EnvelopeError):
        sbdh_unwrap(xml)


# The directory adapter -------------------------------------------------------


def test_both_adapters_implement_the_interface(tenant, tmp_path):
    loopback = settings_for(tenant.municipality, kind=AccessPointKind.LOOPBACK)
    assert isinstance(LoopbackAccessPoint(loopback), AccessPoint)
    assert isinstance(DirectoryAccessPoint(tmp_path), AccessPoint)


def test_directory_send_writes_the_enveloped_document_to_the_outbox(tmp_path):
    adapter = DirectoryAccessPoint(tmp_path)
    message_id = adapter.send(outgoing())
    written = tmp_path / "outbox" / message_id
    assert written.is_file()
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [message_id]
    assert sbdh_unwrap(written.read_bytes())[1]["receiver"] == "0221:T1234567890123"
    assert adapter.status(message_id) == DeliveryStatus.PENDING
    # A retried send does not write a second file.
    assert adapter.send(outgoing()) == message_id
    assert len(list((tmp_path / "outbox").iterdir())) == 1
    # The provider moves it on: delivered, or not.
    (tmp_path / "sent").mkdir()
    os.replace(written, tmp_path / "sent" / message_id)
    assert adapter.status(message_id) == DeliveryStatus.DELIVERED
    assert adapter.status("nothing.xml") == DeliveryStatus.UNKNOWN


def test_directory_receive_skips_files_still_being_written(tmp_path):
    adapter = DirectoryAccessPoint(tmp_path, settle_seconds=60)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    old = time.time() - 120
    for name in ("ready.xml", "upload.xml.tmp", ".hidden.xml", "fresh.xml"):
        (inbox / name).write_bytes(RESPONSE)
        if name != "fresh.xml":
            os.utime(inbox / name, (old, old))
    assert [d.filename for d in adapter.receive()] == ["ready.xml"]


def test_directory_done_moves_files_and_never_deletes(tmp_path):
    adapter = DirectoryAccessPoint(tmp_path, settle_seconds=0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.xml").write_bytes(RESPONSE)
    (inbox / "bad.xml").write_bytes(b"broken")
    good, bad = sorted(adapter.receive(), key=lambda d: d.filename != "good.xml")
    adapter.done(good)
    adapter.done(bad, error="XML として読み取れません。")
    assert (tmp_path / "processed" / "good.xml").read_bytes() == RESPONSE
    assert (tmp_path / "failed" / "bad.xml").read_bytes() == b"broken"
    assert "読み取れません" in (tmp_path / "failed" / "bad.xml.reason.txt").read_text()
    assert list(inbox.iterdir()) == []
    # The same name arriving again keeps both.
    (inbox / "good.xml").write_bytes(b"second")
    adapter.done(adapter.receive()[0])
    assert sorted(p.read_bytes() for p in (tmp_path / "processed").iterdir()) == [
        RESPONSE,
        b"second",
    ]


# The loopback adapter --------------------------------------------------------


def test_loopback_stores_what_it_sends_and_delivers_to_a_loopback_receiver(
    tenant, other_tenant
):
    ours = settings_for(tenant.municipality, kind=AccessPointKind.LOOPBACK)
    settings_for(other_tenant.municipality, kind=AccessPointKind.LOOPBACK)
    document = outgoing(receiver=f"0188:{other_tenant.municipality.corporate_number}")
    with scope(municipality=tenant.municipality.pk):
        adapter = LoopbackAccessPoint(ours)
        message_id = adapter.send(document)
        assert adapter.send(document) == message_id  # retried: stored once
        assert adapter.status(message_id) == DeliveryStatus.DELIVERED
        assert adapter.receive() == []
    with scopes_disabled():
        sent = LoopbackMessage.objects.get(message_id=message_id)
        assert sbdh_unwrap(bytes(sent.xml))[1]["instance_id"] == document.instance_id
    with scope(municipality=other_tenant.municipality.pk):
        with scopes_disabled():
            theirs = AccessPointSettings.objects.get(
                municipality=other_tenant.municipality
            )
        received = LoopbackAccessPoint(theirs).receive()
        assert [d.xml for d in received] == [RESPONSE]
        LoopbackAccessPoint(theirs).done(received[0])
        assert LoopbackAccessPoint(theirs).receive() == []


# Outgoing messages -----------------------------------------------------------


def test_peppol_send_hands_the_message_to_the_directory_after_commit(
    tenant, tmp_path, django_capture_on_commit_callbacks
):
    settings_for(
        tenant.municipality, kind=AccessPointKind.DIRECTORY, directory=str(tmp_path)
    )
    with (
        scope(municipality=tenant.municipality.pk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = peppol_send(
            municipality=tenant.municipality,
            subject="test:1",
            xml=RESPONSE,
            receiver="0221:T1234567890123",
            document_type=RESPONSE_DOCUMENT_TYPE,
            process=RESPONSE_PROCESS,
            response_code="AB",
        )
        assert not (tmp_path / "outbox").exists()  # nothing before commit
    with scopes_disabled():
        message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sender == "0188:8000020462039"
    envelope = sbdh_unwrap((tmp_path / "outbox" / message.message_id).read_bytes())[1]
    assert envelope["instance_id"] == str(message.instance_id)


@pytest.fixture
def worker_semantics():
    """Eager tasks that retry and record failures instead of raising, as
    they do under a worker."""
    conf = celery_app.conf
    saved = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = saved


def test_an_unreachable_folder_is_retried_then_the_message_marked_failed(
    tenant, tmp_path, worker_semantics, django_capture_on_commit_callbacks
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings_for(
        tenant.municipality, kind=AccessPointKind.DIRECTORY, directory=str(blocker)
    )
    with (
        scope(municipality=tenant.municipality.pk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        peppol_send(
            municipality=tenant.municipality,
            subject="test:1",
            xml=RESPONSE,
            receiver="0221:T1234567890123",
            document_type=RESPONSE_DOCUMENT_TYPE,
            process=RESPONSE_PROCESS,
        )
    with scopes_disabled():
        message = OutgoingMessage.objects.get()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 6  # the first try and five retries
    assert "NotADirectoryError" in message.error


# The settings page -------------------------------------------------------------


def _login(client, user):
    login_through_form(client, user.email)


def test_city_admin_sets_the_access_point(client, tenant, tmp_path):
    _login(client, tenant.city_admin)
    url = reverse(
        "city:peppol_settings",
        kwargs={"municipality_slug": tenant.municipality.slug},
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "0188:8000020462039" in page.content.decode()  # the default ID
    refused = client.post(
        url, {"participant_id": "8000020462039", "kind": "directory", "enabled": "on"}
    )
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "0188:法人番号13桁" in text
    assert "連携フォルダのパスを入力してください" in text
    # Nowhere else on the server: not /etc, not out through "..".
    for elsewhere in ("/etc", f"{tmp_path}/../elsewhere", "relative/path"):
        refused = client.post(
            url,
            {
                "participant_id": "0188:8000020462039",
                "kind": "directory",
                "directory": elsewhere,
                "enabled": "on",
            },
        )
        assert refused.status_code == 200
        assert "の下のフォルダを絶対パスで入力してください" in refused.content.decode()
    saved = client.post(
        url,
        {
            "participant_id": "0188:8000020462039",
            "kind": "directory",
            "directory": str(tmp_path),
            "enabled": "on",
        },
    )
    assert saved.status_code == 302
    with scopes_disabled():
        settings = AccessPointSettings.objects.get(municipality=tenant.municipality)
    assert (settings.kind, settings.directory, settings.enabled) == (
        "directory",
        str(tmp_path),
        True,
    )


def test_other_roles_do_not_find_the_settings_page(client, tenant):
    url = reverse(
        "city:peppol_settings",
        kwargs={"municipality_slug": tenant.municipality.slug},
    )
    login_through_form(client, tenant.treasury.email)
    assert client.get(url).status_code == 404


def test_the_beat_schedule_polls_the_access_points():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["peppol-access-points-poll"]
    assert entry["task"] == "peppol.tasks.access_points_poll_task"
    celery_app.loader.import_default_modules()  # what a worker does at start
    assert entry["task"] in celery_app.tasks
