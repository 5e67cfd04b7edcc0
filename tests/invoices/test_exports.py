"""Exports of search results: CSV in UTF-8 with BOM and CP932, a ZIP of
the invoices' documents (its content: test_zip_exports.py), each recorded
in the invoices' histories, bounded."""

import csv
import dataclasses
import io
from datetime import date
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.audit_verify import chain_verify
from invoices.exports import pipeline, search_csv, upload_format
from invoices.models import EventKind, Invoice, InvoiceEvent
from invoices.selectors import invoice_events
from tests.factories import ConnectionFactory, StaffMembershipFactory, make_invoice

pytestmark = pytest.mark.django_db

SUPPLIER_EXPORT = "/supplier/invoices/search/export/"
CITY_EXPORT = "/m/kanoya/invoices/search/export/"


@pytest.fixture
def invoices(connection, supplier_user):
    """Two issued invoices and a draft, all in April 2025."""
    with scopes_disabled():
        return [
            make_invoice(
                connection=connection,
                actor=supplier_user,
                number=number,
                transaction_date=date(2025, 4, day),
                subject=subject,
                issue=issue,
            )
            for number, day, subject, issue in (
                ("INV-1", 1, '=HYPERLINK("https://example.com","x")', True),
                ("INV-2", 2, "髙橋様 ①番 𠮷野家 ～", True),
                ("INV-3", 3, "下書き", False),
            )
        ]


def _loaded(*invoices):
    with scopes_disabled():
        return search_csv.export_load(
            Invoice.objects.filter(pk__in=[i.pk for i in invoices]).order_by("pk")
        )


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# Builders


def test_utf8_csv_starts_with_a_bom_and_has_the_japanese_header(invoices):
    data = search_csv.invoices_csv(_loaded(*invoices[:2]), encoding=pipeline.CSV_UTF8)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _rows(data.decode("utf-8-sig"))
    assert rows[0] == list(search_csv.CSV_HEADER)
    assert [row[0] for row in rows[1:]] == ["INV-1", "INV-2"]
    assert "髙橋様 ①番 𠮷野家 ～" in rows[2]


def test_cp932_csv_decodes_with_crlf_and_replaces_what_cp932_lacks(invoices):
    data = search_csv.invoices_csv(_loaded(*invoices[:2]), encoding=pipeline.CSV_CP932)
    text = data.decode("cp932")
    assert text.startswith("請求書番号,受付番号,取引先,登録番号,自治体,部署,請求日")
    assert text.count("\r\n") == 3
    assert "\n" not in text.replace("\r\n", "")
    # 髙, ① and ～ exist in CP932 (not in shift_jis); 𠮷 does not.
    assert "髙橋様 ①番 ?野家 ～" in _rows(text)[2]


def test_csv_columns_carry_the_invoice_as_issued(invoices, tenant, supplier_user):
    invoice = invoices[1]
    (row,) = _rows(
        search_csv.invoices_csv(_loaded(invoice), encoding=pipeline.CSV_UTF8).decode(
            "utf-8-sig"
        )
    )[1:]
    values = dict(zip(search_csv.CSV_HEADER, row, strict=True))
    supplier = supplier_user.supplier_membership.supplier
    assert values["受付番号"] == invoice.receipt_number
    assert values["取引先"] == supplier.legal_name
    assert values["登録番号"] == supplier.registration_number
    assert (values["自治体"], values["部署"]) == ("鹿屋市", tenant.department.name)
    assert (values["取引日"], values["取引終了日"]) == ("2025-04-02", "")
    assert values["税抜/税込"] == "税抜"
    # make_invoice's lines: 4,500円 at 10%, 360円 at 8% (tax rounded down).
    assert [values[k] for k in ("10%対象", "10%税額", "8%対象", "8%税額")] == [
        "4500",
        "450",
        "360",
        "28",
    ]
    assert values["請求金額"] == "5338"
    assert values["状態"] == "未開封"
    assert values["受付日時"].startswith(f"{invoice.received_at.year}-")
    assert values["開封日時"] == ""
    assert values["支払期限"] == invoice.payment_deadline.isoformat()


def test_csv_escapes_cells_excel_would_run_as_formulas(invoices):
    data = search_csv.invoices_csv(_loaded(invoices[0]), encoding=pipeline.CSV_UTF8)
    row = _rows(data.decode("utf-8-sig"))[1]
    assert row[search_csv.CSV_HEADER.index("件名")].startswith("'=HYPERLINK(")


@pytest.mark.parametrize(
    ("subject", "cell"),
    [
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("-1", "-1"),  # a plain number is read as a number, never run
        ("＝1+1", "'＝1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
    ],
)
def test_every_formula_start_is_escaped(connection, supplier_user, subject, cell):
    with scopes_disabled():
        invoice = make_invoice(
            connection=connection, actor=supplier_user, subject=subject
        )
    data = search_csv.invoices_csv(_loaded(invoice), encoding=pipeline.CSV_CP932)
    row = _rows(data.decode("cp932"))[1]
    assert row[search_csv.CSV_HEADER.index("件名")] == cell


# Views


def _events(kind=None):
    """One record per exported invoice and event, in chain order: an
    event of one invoice, or each invoice a streamed export's chunk lists
    (``data["invoices"]``, the rest of ``data`` as the record's)."""
    with scopes_disabled():
        events = InvoiceEvent.objects.filter(
            kind__in=[EventKind.EXPORTED, EventKind.DOWNLOADED]
        )
        if kind:
            events = events.filter(kind=kind)
        records = []
        for event in events.select_related("invoice", "actor").order_by("pk"):
            if event.invoice_id:
                records.append(event)
                continue
            listed = event.data.pop("invoices")
            by_pk = Invoice.objects.in_bulk(listed)
            for pk in listed:
                assert by_pk[pk].municipality_id == event.municipality_id
                records.append(
                    SimpleNamespace(
                        **vars(event) | {"invoice": by_pk[pk], "actor": event.actor}
                    )
                )
            # Each of them shows it in its history.
            for pk in listed:
                assert event in invoice_events(by_pk[pk])
        return records


@pytest.mark.parametrize(
    ("file_format", "kind", "content_type"),
    [
        (pipeline.CSV_UTF8, EventKind.EXPORTED, "text/csv; charset=utf-8"),
        (pipeline.CSV_CP932, EventKind.EXPORTED, "text/csv; charset=Windows-31J"),
        (pipeline.ZIP, EventKind.DOWNLOADED, "application/zip"),
    ],
)
def test_export_records_one_event_per_exported_invoice(
    client, supplier_user, invoices, file_format, kind, content_type
):
    client.force_login(supplier_user)
    response = client.get(
        SUPPLIER_EXPORT, {"format": file_format, "include_drafts": "on"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename=")
    events = _events()
    # The draft is in the file but has no history until it is issued.
    assert {event.invoice.number for event in events} == {"INV-1", "INV-2"}
    assert {(e.kind, e.actor_id) for e in events} == {(kind, supplier_user.pk)}
    assert all(event.data == {"format": file_format} for event in events)


# The service


def test_invoices_export_renders_and_records_the_same_invoices(invoices, supplier_user):
    with scopes_disabled():
        file = pipeline.invoices_export(
            invoices=Invoice.objects.filter(pk__in=[i.pk for i in invoices]),
            file_format=upload_format.UPLOAD_FORMATS[pipeline.CSV_UTF8],
            actor=supplier_user,
        )
    assert file.content_type == "text/csv; charset=utf-8"
    assert file.filename.startswith("invoices_upload_")
    assert file.filename.endswith("_utf8.csv")
    assert {"INV-1", "INV-2", "INV-3"} <= {
        row[0] for row in _rows(file.content.decode("utf-8-sig"))
    }
    events = _events()
    assert {event.invoice.number for event in events} == {"INV-1", "INV-2"}
    assert all(event.data == {"format": "upload-csv-utf8"} for event in events)


def test_invoices_export_records_nothing_when_the_file_fails_to_render(
    invoices, supplier_user
):
    def broken(loaded):
        raise RuntimeError("render failed")

    file_format = dataclasses.replace(
        search_csv.SEARCH_FORMATS[pipeline.CSV_UTF8], render=broken
    )
    with scopes_disabled(), pytest.raises(RuntimeError):
        pipeline.invoices_export(
            invoices=Invoice.objects.all(), file_format=file_format, actor=supplier_user
        )
    assert _events() == []


def test_staff_export_holds_only_the_matches_in_their_scope(
    client, tenant, other_tenant, invoices, other_supplier_user
):
    with scopes_disabled():
        supplier = other_supplier_user.supplier_membership.supplier
        make_invoice(
            connection=supplier.connections.get(),
            actor=other_supplier_user,
            number="ELSEWHERE",
            transaction_date=date(2025, 4, 2),
        )
    client.force_login(tenant.department_staff)
    response = client.get(
        CITY_EXPORT,
        {
            "format": pipeline.CSV_UTF8,
            "date_from": "2025-04-02",
            "include_drafts": "on",
        },
    )
    rows = _rows(response.getvalue().decode("utf-8-sig"))
    assert [row[0] for row in rows[1:]] == ["INV-2"]
    (event,) = _events(EventKind.EXPORTED)
    assert (event.invoice.number, event.actor) == ("INV-2", tenant.department_staff)


def test_department_staff_of_another_department_export_nothing(
    client, tenant, invoices
):
    user = StaffMembershipFactory(
        municipality=tenant.municipality, departments=[tenant.other_department]
    ).user
    client.force_login(user)
    response = client.get(CITY_EXPORT, {"format": pipeline.CSV_UTF8})
    assert response.status_code == 302
    assert _events() == []


def test_export_over_the_limit_is_refused_with_a_message(
    client, supplier_user, invoices, monkeypatch
):
    monkeypatch.setattr(pipeline, "EXPORT_LIMIT", 1)
    client.force_login(supplier_user)
    response = client.get(
        SUPPLIER_EXPORT, {"format": pipeline.ZIP, "date_from": "2025-04-01"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/supplier/invoices/search/?date_from=2025-04-01"
    (message,) = get_messages(response.wsgi_request)
    assert "2件" in str(message)
    assert "1件まで" in str(message)
    assert "絞り込んで" in str(message)
    assert _events() == []


def test_export_at_the_limit_goes_through(client, supplier_user, invoices, monkeypatch):
    monkeypatch.setattr(pipeline, "EXPORT_LIMIT", 2)
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_EXPORT, {"format": pipeline.CSV_CP932})
    assert response.status_code == 200
    assert len(_events()) == 2


def test_export_with_invalid_conditions_goes_back_to_the_search(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    response = client.get(
        SUPPLIER_EXPORT, {"format": pipeline.CSV_UTF8, "amount_min": "abc"}, follow=True
    )
    assert response.redirect_chain == [
        ("/supplier/invoices/search/?amount_min=abc", 302)
    ]
    assert "金額は0以上の整数で入力してください" in response.content.decode()
    assert _events() == []


def test_export_of_an_unknown_format_is_404(client, supplier_user, invoices):
    client.force_login(supplier_user)
    assert client.get(SUPPLIER_EXPORT, {"format": "xlsx"}).status_code == 404


# Streaming (issue 14: 10,000 invoices start at once, in flat memory)

CSV_FORMATS = [
    (formats, name)
    for formats in ("SEARCH_FORMATS", "UPLOAD_FORMATS")
    for name in (pipeline.CSV_CP932, pipeline.CSV_UTF8)
]


@pytest.mark.parametrize(("formats", "name"), CSV_FORMATS)
def test_a_streamed_csv_is_the_file_built_at_once(
    invoices, supplier_user, monkeypatch, formats, name
):
    """In chunks of two invoices, the bytes are those of the whole file
    written at once, in the query's order, and each issued invoice is
    recorded once, before the first chunk is handed out."""
    monkeypatch.setattr(pipeline, "EXPORT_CHUNK", 2)
    monkeypatch.setattr(pipeline, "EXPORT_FIRST_CHUNK", 2)
    file_format = {
        "SEARCH_FORMATS": search_csv.SEARCH_FORMATS,
        "UPLOAD_FORMATS": upload_format.UPLOAD_FORMATS,
    }[formats][name]
    with scopes_disabled():
        query = Invoice.objects.filter(pk__in=[i.pk for i in invoices])
        whole = file_format.render(file_format.load(query.order_by("-pk")))
        streamed = pipeline.invoices_export_stream(
            invoices=query.order_by("-pk"), file_format=file_format, actor=supplier_user
        )
        # The whole export is recorded before its first byte (the draft
        # INV-3 has no history): one event listing both.
        assert [e.invoice.number for e in _events()] == ["INV-2", "INV-1"]
        chunks = list(streamed.content)
        assert InvoiceEvent.objects.filter(invoice=None).count() == 1
    assert len(chunks) == 2  # the header with the first chunk, then the second
    assert b"".join(chunks) == whole


def _numbers(content) -> list[str]:
    return [row[0] for row in _rows(b"".join(content).decode("utf-8-sig"))[1:]]


def test_invoices_issued_while_the_file_is_read_are_neither_in_it_nor_recorded(
    connection, invoices, supplier_user
):
    """The file is read from the ids recorded: an invoice issued between
    the two (by another request) is in neither."""
    file_format = search_csv.SEARCH_FORMATS[pipeline.CSV_UTF8]

    def query_after_another_issue(chosen):
        make_invoice(connection=connection, actor=supplier_user, number="LATE")
        return file_format.query(chosen)

    late = dataclasses.replace(file_format, query=query_after_another_issue)
    with scopes_disabled():
        streamed = pipeline.invoices_export_stream(
            invoices=Invoice.objects.order_by("-pk"),
            file_format=late,
            actor=supplier_user,
        )
        assert Invoice.objects.filter(number="LATE").exists()
        assert _numbers(streamed.content) == ["INV-3", "INV-2", "INV-1"]
    assert [e.invoice.number for e in _events()] == ["INV-2", "INV-1"]


def test_a_download_cut_short_leaves_the_export_it_asked_for_recorded(
    connection, other_tenant, invoices, supplier_user, monkeypatch
):
    """Recorded as events listing at most ``EXPORT_CHUNK`` invoices of one
    municipality each, all before the first chunk is sent, in the file's
    order: a download stopped after it leaves them all recorded."""
    monkeypatch.setattr(pipeline, "EXPORT_CHUNK", 1)
    monkeypatch.setattr(pipeline, "EXPORT_FIRST_CHUNK", 1)
    with scopes_disabled():
        supplier = supplier_user.supplier_membership.supplier
        elsewhere = ConnectionFactory(
            supplier=supplier, department=other_tenant.department
        )
        make_invoice(connection=elsewhere, actor=supplier_user, number="KIRISHIMA")
        streamed = pipeline.invoices_export_stream(
            invoices=Invoice.objects.order_by("pk"),
            file_format=search_csv.SEARCH_FORMATS[pipeline.CSV_UTF8],
            actor=supplier_user,
        )
        first = next(streamed.content)
        streamed.content.close()
        listed = InvoiceEvent.objects.filter(invoice=None).order_by("pk")
        assert [
            (event.municipality.slug, len(event.data["invoices"])) for event in listed
        ] == [("kanoya", 1), ("kanoya", 1), ("kirishima", 1)]
    assert _numbers([first]) == ["INV-1"]
    assert [e.invoice.number for e in _events()] == ["INV-1", "INV-2", "KIRISHIMA"]
    assert chain_verify() is None


@pytest.mark.parametrize("name", [pipeline.CSV_CP932, pipeline.CSV_UTF8])
def test_the_search_export_streams_what_it_wrote_before(
    client, supplier_user, invoices, name
):
    client.force_login(supplier_user)
    response = client.get(SUPPLIER_EXPORT, {"format": name, "include_drafts": "on"})
    assert response.streaming
    assert response["Content-Disposition"].endswith(f'{name[4:]}.csv"')
    with scopes_disabled():
        newest_first = Invoice.objects.filter(pk__in=[i.pk for i in invoices]).order_by(
            "-transaction_date", "-pk"
        )
        before = search_csv.invoices_csv(
            search_csv.export_load(newest_first), encoding=name
        )
    assert response.getvalue() == before
    assert len(_events(EventKind.EXPORTED)) == 2


def test_the_export_reads_the_database_the_same_number_of_times_for_more_invoices(
    client, connection, supplier_user, invoices
):
    """The ids, then per chunk one read of the invoices, one of their tax
    summaries and the history records: 3 invoices or 15, the same."""

    def queries() -> int:
        with CaptureQueriesContext(db_connection) as captured:
            response = client.get(SUPPLIER_EXPORT, {"format": pipeline.CSV_UTF8})
            response.getvalue()
        return len(captured)

    client.force_login(supplier_user)
    few = queries()
    with scopes_disabled():
        for n in range(12):
            make_invoice(
                connection=connection,
                actor=supplier_user,
                number=f"MORE-{n}",
                transaction_date=date(2025, 5, 1),
            )
    assert queries() == few
    assert len(_events(EventKind.EXPORTED)) == 2 + 14


# The history of a streamed export's invoices


def test_each_exported_invoice_history_shows_the_export_in_the_same_queries(
    client, tenant, supplier_user, invoices
):
    """A chunk's one event is on the page of each invoice it lists, for
    the supplier and the city, and the page reads it with the same number
    of queries however many exports list the invoice."""
    client.force_login(supplier_user)
    only_first = {"format": pipeline.CSV_CP932, "date_to": "2025-04-01"}
    client.get(SUPPLIER_EXPORT, only_first).getvalue()
    client.get(SUPPLIER_EXPORT, {"format": pipeline.CSV_UTF8}).getvalue()
    first, second = invoices[0], invoices[1]

    def history(url: str) -> tuple[str, int]:
        with CaptureQueriesContext(db_connection) as captured:
            page = client.get(url).content.decode()
        return page.split('id="history-heading"')[1], len(captured)

    twice, queries = history(reverse("supplier:invoice", args=[first.pk]))
    once, same = history(reverse("supplier:invoice", args=[second.pk]))
    assert (twice.count("CSV出力"), once.count("CSV出力")) == (2, 1)
    assert supplier_user.email in once
    assert queries == same
    client.force_login(tenant.department_staff)
    city, _ = history(
        reverse("city:invoice", args=[second.municipality.slug, second.pk])
    )
    assert city.count("CSV出力") == 1


def test_a_changed_list_of_exported_invoices_breaks_the_chain(
    client, supplier_user, invoices
):
    client.force_login(supplier_user)
    client.get(SUPPLIER_EXPORT, {"format": pipeline.CSV_UTF8}).getvalue()
    assert chain_verify() is None
    with scopes_disabled():
        event = InvoiceEvent.objects.get(invoice=None)
        assert len(event.data["invoices"]) == 2
        # The second invoice taken off the list: hidden from its history.
        InvoiceEvent.objects.filter(pk=event.pk).update(
            data=event.data | {"invoices": event.data["invoices"][:1]}
        )
    problem = chain_verify()
    assert problem.event_id == event.pk
    assert "内容がハッシュと一致しません" in problem.message
