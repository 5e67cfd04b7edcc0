"""The supplier's reconciliation of incoming payments (売掛金消込), through
the pages: a bank file (全銀 種別01 or 03, with and without line endings,
or a net-banking CSV with a column mapping) is uploaded; each credit is
matched by EDI, by the sum of two notices, short by a bank fee, left
ambiguous for the supplier to choose, or unmatched; the invoices become
入金確認済 for the supplier only; the result downloads as CSV. Bad files
get row-level messages and store nothing. The files are built in
``zengin_incoming_files`` from the layout tables, not by the parser."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from invoices.models import InvoiceStatus
from invoices.services.drafts import LineInput
from municipality.models import (
    CreditOutcome,
    IncomingCredit,
    InvoicePaymentConfirmation,
    PaymentNotice,
    Reconciliation,
)
from municipality.treasury.reconciliation.incoming import parse_incoming
from municipality.treasury.reconciliation.matching import kana_key
from tests.factories import PASSWORD, UserFactory
from tests.municipality.test_remittance import paid_batch
from tests.municipality.test_treasury_support import (
    make_approved,
    make_settings,
    make_supplier,
)
from tests.municipality.zengin_incoming_files import Row, file_01, file_03, record

pytestmark = pytest.mark.django_db

CITY_KANA = "ｶﾉﾔｼｶｲｹｲｶﾝﾘｼﾔ"  # the treasury's 振込依頼人名 (make_settings)


def _invoice(tenant, user, connection, net: int):
    line = LineInput("業務委託", Decimal(1), Decimal(net), "S", "式")
    return make_approved(tenant, user, connection, lines=[line])


@pytest.fixture
def world(tenant):
    """Six paid notices of one supplier, one per batch, all paid today:
    E 12,100 (paid by EDI), C1 23,100 + C2 34,100 (paid by one credit),
    S 45,100 (paid short by a 440 yen fee), A1 and A2 7,700 each (one
    credit of 7,700: ambiguous)."""
    with scopes_disabled():
        make_settings(tenant.municipality)
        user, connection = make_supplier(tenant.department)
        notices = {}
        for key, net in (
            ("E", 11_000),
            ("C1", 21_000),
            ("C2", 31_000),
            ("S", 41_000),
            ("A1", 7_000),
            ("A2", 7_000),
        ):
            invoice = _invoice(tenant, user, connection, net)
            batch = paid_batch(tenant, [invoice])
            notices[key] = PaymentNotice.objects.get(batch=batch)
    assert notices["C1"].transfer_amount == 23_100
    return {"user": user, "notices": notices, "supplier": connection.supplier}


def _rows(world) -> list[Row]:
    today = timezone.localdate()
    n = world["notices"]
    return [
        Row(today, 12_100, "ﾁｶﾞｳﾅﾏｴ", edi=n["E"].number),  # EDI wins
        Row(today, 57_200, f"1234567890 {CITY_KANA}"),  # C1 + C2
        Row(today, 44_660, CITY_KANA),  # S less a 440 yen fee
        Row(today, 7_700, CITY_KANA),  # A1 or A2
        Row(today, 99_999, "ﾔﾏﾀﾞｼﾖｳｼﾞ"),  # somebody else
    ]


def _login(client, user):
    client.login(email=user.email, password=PASSWORD)


def _upload(client, data: bytes, name="nyukin.txt", **fields):
    return client.post(
        "/supplier/reconciliations/",
        {
            "file": SimpleUploadedFile(name, data),
            "kind": "zengin",
            "has_header": "on",
            **fields,
        },
        follow=True,
    )


FILES = {
    "01 without line endings": lambda rows, today: file_01(rows, today=today),
    "01 with CR+LF": lambda rows, today: file_01(rows, today=today, newline=b"\r\n"),
    "03 with CR+LF": lambda rows, today: file_03(rows, today=today, newline=b"\r\n"),
    "03 without line endings": lambda rows, today: file_03(rows, today=today),
}


@pytest.mark.parametrize("layout", sorted(FILES))
def test_a_bank_file_is_matched_and_the_invoices_confirmed(client, world, layout):
    today = timezone.localdate()
    rows = _rows(world)
    if layout.startswith("03"):  # a payment out is skipped
        rows.append(Row(today, 5_000, "", debit=True))
    else:  # so is a cancelled notice
        rows.append(Row(today, 3_000, CITY_KANA, cancelled=True))
    data = FILES[layout](rows, today)
    _login(client, world["user"])
    page = _upload(client, data).content.decode()
    assert "入金明細を取り込みました。" in page
    n = world["notices"]
    with scopes_disabled():
        credits = {c.row: c for c in IncomingCredit.objects.all()}
        # Records: the header is 1, the credits start at 2.
        assert {row: c.outcome for row, c in credits.items()} == {
            2: "matched",
            3: "matched",
            4: "matched",
            5: "ambiguous",
            6: "unmatched",
        }
        assert [x.number for x in credits[2].notices.all()] == [n["E"].number]
        assert credits[2].method == "edi"
        assert {x.number for x in credits[3].notices.all()} == {
            n["C1"].number,
            n["C2"].number,
        }
        assert credits[3].method == "combined"
        assert credits[4].method == "short"
        assert credits[4].difference == -440
        assert sorted(credits[5].options) == sorted([[n["A1"].pk], [n["A2"].pk]])
        confirmed = set(
            InvoicePaymentConfirmation.objects.values_list(
                "invoice__payment_notices__number", flat=True
            )
        )
        assert confirmed == {n[k].number for k in ("E", "C1", "C2", "S")}
        # The supplier's record only: the city's invoice status is as it was.
        for notice in n.values():
            assert {i.status for i in notice.invoices.all()} == {InvoiceStatus.PAID}
        assert Reconciliation.objects.get().skipped_count == 1
    assert "要選択: 候補が複数あります" in page
    assert "手数料差引の可能性" in page


def test_the_supplier_chooses_for_an_ambiguous_credit(client, world):
    today = timezone.localdate()
    _login(client, world["user"])
    _upload(client, file_01(_rows(world), today=today))
    n = world["notices"]
    with scopes_disabled():
        reconciliation = Reconciliation.objects.get()
        credit = IncomingCredit.objects.get(outcome=CreditOutcome.AMBIGUOUS)
        index = credit.options.index([n["A2"].pk])
    url = f"/supplier/reconciliations/{reconciliation.pk}/credits/{credit.pk}/"
    asked = client.post(url, {"option": str(index)})
    assert "入金の消込を確定する" in asked.content.decode()
    with scopes_disabled():
        credit.refresh_from_db()
        assert credit.outcome == CreditOutcome.AMBIGUOUS  # nothing yet
    done = client.post(url, {"option": str(index), "confirmed": "1"}, follow=True)
    assert "5行目の入金を確定しました。" in done.content.decode()
    with scopes_disabled():
        credit.refresh_from_db()
        assert credit.outcome == CreditOutcome.MATCHED
        assert credit.method == "chosen"
        assert [x.pk for x in credit.notices.all()] == [n["A2"].pk]
        assert InvoicePaymentConfirmation.objects.filter(
            invoice__in=n["A2"].invoices.all(), credit=credit
        ).exists()
    again = client.post(url, {"option": str(index), "confirmed": "1"}, follow=True)
    assert "選び直すことはできません" in again.content.decode()


def test_the_result_downloads_as_csv(client, world):
    today = timezone.localdate()
    _login(client, world["user"])
    _upload(client, file_01(_rows(world), today=today))
    with scopes_disabled():
        reconciliation = Reconciliation.objects.get()
    response = client.get(f"/supplier/reconciliations/{reconciliation.pk}/result.csv")
    assert response.status_code == 200
    header, *rows = list(
        csv.reader(io.StringIO(response.content.decode("cp932"), newline=""))
    )
    assert header[:6] == ["行", "入金日", "入金額", "振込依頼人名", "EDI情報", "結果"]
    # One row per invoice of a matched credit (E, C1, C2, S), one per other.
    assert len(rows) == 4 + 2
    combined = [r for r in rows if r[0] == "3"]
    assert {r[8] for r in combined} == {
        world["notices"]["C1"].number,
        world["notices"]["C2"].number,
    }
    short = next(r for r in rows if r[0] == "4")
    assert short[7] == "-440"
    utf8 = client.get(
        f"/supplier/reconciliations/{reconciliation.pk}/result.csv?format=csv-utf8"
    )
    assert utf8.content.startswith(b"\xef\xbb\xbf")


def test_a_net_banking_csv_is_read_with_its_column_mapping(client, world):
    n = world["notices"]
    today = timezone.localdate()
    text = (
        "日付,摘要,出金額,入金額,残高\r\n"
        f'{today:%Y/%m/%d},ﾌﾘｺﾐ {CITY_KANA},,"12,100",100000\r\n'
        f"{today:%Y/%m/%d},ﾃﾞﾝｷﾀﾞｲ,5000,,95000\r\n"
        f"{today:%Y年%m月%d日},ﾌﾘｺﾐ {CITY_KANA} {n['S'].number},,45100,140100\r\n"
    )
    _login(client, world["user"])
    page = _upload(
        client,
        text.encode("cp932"),
        name="meisai.csv",
        kind="csv",
        date_column="日付",
        amount_column="4",
        payer_column="摘要",
        edi_column="摘要",
    ).content.decode()
    assert "入金明細を取り込みました。" in page
    with scopes_disabled():
        credits = {c.row: c for c in IncomingCredit.objects.all()}
        assert set(credits) == {2, 4}  # the payment out on line 3 is skipped
        assert [x.number for x in credits[2].notices.all()] == [n["E"].number]
        assert credits[2].method == "amount"
        assert [x.number for x in credits[4].notices.all()] == [n["S"].number]
        assert credits[4].method == "edi"
        assert Reconciliation.objects.get().csv_mapping["amount"] == "4"
    # The next upload form remembers the columns.
    form = client.get("/supplier/reconciliations/").content.decode()
    assert 'value="摘要"' in form


def test_a_bad_csv_row_is_named_and_nothing_is_stored(client, world):
    text = "日付,摘要,入金額\n2026/13/40,ｶﾉﾔｼ,1000\n2026/11/27,ｶﾉﾔｼ,千円\n"
    _login(client, world["user"])
    page = _upload(
        client,
        text.encode("utf-8"),
        name="meisai.csv",
        kind="csv",
        date_column="1",
        amount_column="入金額",
        payer_column="2",
    ).content.decode()
    assert "2行目「日付」: 「2026/13/40」は日付として読めません" in page
    assert "3行目「入金額」: 「千円」は金額（円単位の整数）として読めません。" in page
    missing = _upload(
        client, text.encode(), name="m.csv", kind="csv", date_column="1"
    ).content.decode()
    assert "CSVでは「入金額の列」を指定してください。" in missing
    with scopes_disabled():
        assert not Reconciliation.objects.exists()


def test_bad_bank_files_get_row_level_messages_and_store_nothing(client, world):
    today = timezone.localdate()
    good = file_01(_rows(world), today=today, newline=b"\r\n")
    records = good.split(b"\r\n")
    # Record 3: the amount (20-29) is not digits; record 4: 勘定日 (8-13)
    # is 13th month.
    records[2] = records[2][:19] + b"12,100    " + records[2][29:]
    records[3] = records[3][:7] + b"081332" + records[3][13:]
    _login(client, world["user"])
    page = _upload(client, b"\r\n".join(records)).content.decode()
    assert "何も保存していません" in page
    assert (
        "3番目のレコード（データ）: 金額（20〜29バイト目）が数字ではありません" in page
    )
    assert (
        "4番目のレコード（データ）: 勘定日「081332」（8〜13バイト目）は"
        "和暦の年月日（YYMMDD）として読めません。"
    ) in page

    # UTF-8 kana make the records longer than 200 bytes.
    utf8 = good.decode("cp932").encode("utf-8")
    assert "長さが" in _upload(client, utf8).content.decode()

    # The trailer disagrees with the data (a truncated transfer).
    intact = good.split(b"\r\n")
    truncated = b"\r\n".join(intact[:3] + intact[4:])
    assert ("6番目のレコード（トレーラ）: トレーラの振込の合計（5件・") in _upload(
        client, truncated
    ).content.decode()

    # The city's own 総合振込 file (120-byte records) is not an incoming one.
    with scopes_disabled(), world["notices"]["E"].batch.zengin_file.open("rb") as f:
        zengin = f.read()
    assert "これは総合振込（支払側、1レコード120バイト）のファイルです。" in (
        _upload(client, zengin).content.decode()
    )
    # Not what it claims: a workbook, a PDF, a CSV chosen as 全銀.
    assert "全銀協形式のファイルではありません" in (
        _upload(client, b"PK\x03\x04xxxx", name="a.txt").content.decode()
    )
    assert "全銀協形式のファイルではありません" in (
        _upload(client, b"%PDF-1.7\n", name="a.txt").content.decode()
    )
    assert "CSVファイルのようです。" in (
        _upload(client, "日付,金額\n2026/11/27,100\n".encode()).content.decode()
    )
    assert "Excel形式のファイルです。" in (
        _upload(
            client,
            b"PK\x03\x04xxxx",
            name="a.xlsx",
            kind="csv",
            date_column="1",
            amount_column="2",
            payer_column="3",
        ).content.decode()
    )
    with scopes_disabled():
        assert not Reconciliation.objects.exists()
        assert not IncomingCredit.objects.exists()


def test_upload_limits(client, world):
    _login(client, world["user"])
    big = b"1" + b" " * (2 * 1024 * 1024)
    assert "ファイルが大きすぎます" in _upload(client, big).content.decode()
    good = file_01(_rows(world), today=timezone.localdate())
    _upload(client, good)
    again = _upload(client, good).content.decode()
    assert "取り込み済みです。同じ入金を二重に消し込まない" in again
    with scopes_disabled():
        assert Reconciliation.objects.count() == 1


def test_an_edi_naming_a_reconciled_notice_is_not_taken_twice(client, world):
    today = timezone.localdate()
    edi = world["notices"]["E"].number
    _login(client, world["user"])
    _upload(client, file_01([Row(today, 12_100, CITY_KANA, edi=edi)], today=today))
    page = _upload(
        client,
        file_01(
            [Row(today + timedelta(days=1), 12_100, CITY_KANA, edi=edi)], today=today
        ),
    ).content.decode()
    assert "すでに別の入金で消込済です" in page
    with scopes_disabled():
        assert IncomingCredit.objects.filter(outcome="matched").count() == 1


def test_another_supplier_sees_nothing(client, world, other_supplier_user):
    _login(client, world["user"])
    _upload(client, file_01(_rows(world), today=timezone.localdate()))
    with scopes_disabled():
        reconciliation = Reconciliation.objects.get()
        credit = IncomingCredit.objects.get(outcome=CreditOutcome.AMBIGUOUS)
    _login(client, other_supplier_user)
    base = f"/supplier/reconciliations/{reconciliation.pk}/"
    for url in (base, f"{base}result.csv", f"{base}credits/{credit.pk}/"):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"{base}credits/{credit.pk}/", {"option": "0", "confirmed": "1"}
    )
    assert response.status_code == 404
    assert (
        reconciliation.filename
        not in client.get("/supplier/reconciliations/").content.decode()
    )


def test_kana_keys_ignore_width_small_kana_and_prefixes():
    assert kana_key("ｶﾉﾔｼｶｲｹｲｶﾝﾘｼﾔ") == kana_key("カノヤシカイケイカンリシャ")
    assert kana_key("1234567890 ｶ)ﾃｽﾄ") == "ｶﾃｽﾄ"


def test_confirmed_invoices_show_on_the_notice_and_the_invoice(client, world):
    _login(client, world["user"])
    _upload(client, file_01(_rows(world), today=timezone.localdate()))
    notice = world["notices"]["E"]
    with scopes_disabled():
        invoice = notice.invoices.get()
    listing = client.get("/supplier/payment-notices/").content.decode()
    assert listing.count("入金確認済") == 4  # E, C1, C2, S; not A1, A2
    detail = client.get(f"/supplier/payment-notices/{notice.pk}/").content.decode()
    assert "入金確認済" in detail
    page = client.get(f"/supplier/invoices/{invoice.pk}/").content.decode()
    assert "入金確認済" in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_reconciliation_pages_use_a_constant_number_of_queries(client, world):
    today = timezone.localdate()
    _login(client, world["user"])
    counts = []
    extra = [Row(today, 7_700, CITY_KANA)] * 5 + [
        Row(today, 100 + n, "ﾍﾞﾂﾉｶｲｼﾔ") for n in range(10)
    ]
    for rows in (_rows(world), _rows(world) + extra):
        with transaction.atomic():
            _upload(client, file_01(rows, today=today))
            with scopes_disabled():
                pk = Reconciliation.objects.get().pk
            counts.append(
                (
                    _queries(client, f"/supplier/reconciliations/{pk}/"),
                    _queries(client, "/supplier/reconciliations/"),
                    _queries(client, "/supplier/payment-notices/"),
                )
            )
            transaction.set_rollback(True)
    assert counts[0] == counts[1]


def test_format_b_and_heisei_dates_are_read():
    """振込入金通知 format B (zengin.md §3.1: 金額 129-140, EDI 153-172) and
    a YYMMDD that would lie in the future as 令和 is read as 平成."""
    today = timezone.localdate()
    header = record((1, 1, 1, "N"), (2, 2, "01", "N"), (4, 1, 0, "N"))
    data = record(
        (1, 1, 2, "N"),
        (8, 6, "301225", "N"),  # 令和30年 is ahead: 平成30年12月25日
        (20, 10, 0, "N"),
        (50, 48, CITY_KANA, "C"),
        (128, 1, 0, "N"),
        (129, 12, 123_456_789_012, "N"),
        (141, 12, 0, "N"),
        (153, 20, "2026-0001-001", "C"),
    )
    trailer = record((1, 1, 8, "N"), (2, 6, 1, "N"), (8, 12, 123_456_789_012, "N"))
    parsed = parse_incoming(
        header + data + trailer + record((1, 1, 9, "N")) + b"\x1a", today=today
    )
    (credit,) = parsed.credits
    assert credit.amount == 123_456_789_012
    assert credit.edi == "2026-0001-001"
    assert credit.booking_date.isoformat() == "2018-12-25"
    assert credit.payer_name == CITY_KANA


def test_platform_admins_read_a_reconciliation_and_its_credits(client, world):
    _login(client, world["user"])
    _upload(client, file_01(_rows(world), today=timezone.localdate()))
    with scopes_disabled():
        reconciliation = Reconciliation.objects.get()
        confirmation = InvoicePaymentConfirmation.objects.first()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(
        f"/admin/municipality/reconciliation/{reconciliation.pk}/change/"
    ).content.decode()
    assert "nyukin.txt" in page
    assert "99999" in page or "99,999" in page  # the unmatched credit
    # Read only: nothing to save, add or delete.
    assert 'name="_save"' not in page
    assert client.get("/admin/municipality/reconciliation/add/").status_code == 403
    url = f"/admin/municipality/invoicepaymentconfirmation/{confirmation.pk}/change/"
    assert client.get(url).status_code == 200
