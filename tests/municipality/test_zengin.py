"""Zengin 総合振込 files and transfer fees (reference/zengin.md §1, §2, §5).

The parser here slices records by the positions in zengin.md §1.2–§1.4,
independently of the writer. Pure functions: no database.
"""

import re
from datetime import date

import pytest

from municipality.models import FeeBearer, TreasurySettings
from municipality.treasury.zengin import (
    Originator,
    Transfer,
    ZenginError,
    bank_business_day,
    transfer_fee,
    zengin_file,
)

# (field, first position, last position), 1-based as in zengin.md.
HEADER = [
    ("データ区分", 1, 1),
    ("種別コード", 2, 3),
    ("コード区分", 4, 4),
    ("委託者コード", 5, 14),
    ("委託者名", 15, 54),
    ("振込指定日", 55, 58),
    ("仕向銀行番号", 59, 62),
    ("仕向銀行名", 63, 77),
    ("仕向支店番号", 78, 80),
    ("仕向支店名", 81, 95),
    ("預金種目", 96, 96),
    ("口座番号", 97, 103),
    ("ダミー", 104, 120),
]
DATA = [
    ("データ区分", 1, 1),
    ("被仕向銀行番号", 2, 5),
    ("被仕向銀行名", 6, 20),
    ("被仕向支店番号", 21, 23),
    ("被仕向支店名", 24, 38),
    ("手形交換所番号", 39, 42),
    ("預金種目", 43, 43),
    ("口座番号", 44, 50),
    ("受取人名", 51, 80),
    ("振込金額", 81, 90),
    ("新規コード", 91, 91),
    ("EDI情報", 92, 111),
    ("振込指定区分", 112, 112),
    ("識別表示", 113, 113),
    ("ダミー", 114, 120),
]
TRAILER = [
    ("データ区分", 1, 1),
    ("合計件数", 2, 7),
    ("合計金額", 8, 19),
    ("ダミー", 20, 120),
]
END = [("データ区分", 1, 1), ("ダミー", 2, 120)]
LAYOUTS = {"1": HEADER, "2": DATA, "8": TRAILER, "9": END}
ZENGIN_CHARACTERS = re.compile(r"[0-9A-Zｱ-ﾝﾞﾟ ()\-.]*")


def parse(data: bytes, *, crlf: bool) -> list[dict[str, str]]:
    if crlf:
        lines = data.split(b"\r\n")
        assert lines.pop() == b"", "CR+LF must follow the last record too"
    else:
        assert b"\r" not in data
        assert b"\n" not in data
        lines = [data[i : i + 120] for i in range(0, len(data), 120)]
    records = []
    for line in lines:
        assert len(line) == 120
        text = line.decode("cp932")
        assert len(text) == 120, "one byte per character"
        assert ZENGIN_CHARACTERS.fullmatch(text)
        layout = LAYOUTS[text[0]]
        records.append({name: text[start - 1 : end] for name, start, end in layout})
    return records


ORIGINATOR = Originator(
    code="1234567890",
    name_kana="ｶﾉﾔｼ ｶｲｹｲｶﾝﾘｼﾔ",
    bank_code="0185",
    bank_name_kana="",
    branch_code="500",
    branch_name_kana="",
    account_type="1",
    account_number="1234567",
)
TRANSFERS = [
    Transfer(
        bank_code="0185",
        bank_name_kana="ｶｺﾞｼﾏ",
        branch_code="500",
        branch_name_kana="ｶﾉﾔ",
        account_type="1",
        account_number="7654321",
        payee_name_kana="株式会社カノヤショウジ",
        amount=123_456,
        edi="PN-2027-0001",
    ),
    Transfer(
        bank_code="0005",
        bank_name_kana="ミツビシユーエフジエイ",
        branch_code="251",
        branch_name_kana="",
        account_type="2",
        account_number="98765",
        payee_name_kana="ヤマダ タロウ",
        amount=29_560,
        edi="PN-2027-0002",
    ),
    Transfer(
        bank_code="9900",
        bank_name_kana="",
        branch_code="238",
        branch_name_kana="",
        account_type="4",
        account_number="1234567",
        payee_name_kana="ｷﾘｼﾏ ｺｳｷﾞﾖｳ ﾌﾟﾗﾝﾄｴﾝｼﾞﾆｱﾘﾝｸﾞ ｻ-ﾋﾞｽ(ﾕ",
        amount=9_999_999_999,
        edi="PN-2027-0003",
    ),
]
MONDAY = date(2027, 3, 1)


def test_parser_layouts_cover_each_record_exactly():
    for layout in LAYOUTS.values():
        positions = [p for _, start, end in layout for p in range(start, end + 1)]
        assert positions == list(range(1, 121))


def test_file_has_header_data_trailer_and_end_in_place():
    data = zengin_file(originator=ORIGINATOR, payment_date=MONDAY, transfers=TRANSFERS)

    assert len(data) == 6 * 122
    header, *transfers, trailer, end = parse(data, crlf=True)
    assert header == {
        "データ区分": "1",
        "種別コード": "21",
        "コード区分": "0",
        "委託者コード": "1234567890",
        "委託者名": "ｶﾉﾔｼ ｶｲｹｲｶﾝﾘｼﾔ".ljust(40),
        "振込指定日": "0301",
        "仕向銀行番号": "0185",
        "仕向銀行名": "ｶｺﾞｼﾏ".ljust(15),  # blank: from the master
        "仕向支店番号": "500",
        "仕向支店名": "ｶﾉﾔ".ljust(15),
        "預金種目": "1",
        "口座番号": "1234567",
        "ダミー": " " * 17,
    }
    expected = [
        ("0185", "ｶｺﾞｼﾏ", "500", "ｶﾉﾔ", "1", "7654321", "ｶ)ｶﾉﾔｼﾖｳｼﾞ", 123_456),
        (
            "0005",
            "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ",  # given in full width: normalised
            "251",
            "ﾖｺﾊﾏｴｷﾏｴ",  # blank: from the master
            "2",
            "0098765",  # zero-filled
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            29_560,
        ),
        (
            "9900",
            "ﾕｳﾁﾖ",
            "238",
            "ﾆｻﾝﾊﾁ",
            "4",
            "1234567",
            "ｷﾘｼﾏ ｺｳｷﾞﾖｳ ﾌﾟﾗﾝﾄｴﾝｼﾞﾆｱﾘﾝｸﾞ ｻ-",  # cut to 30
            9_999_999_999,
        ),
    ]
    for number, (record, values) in enumerate(zip(transfers, expected, strict=True)):
        bank, bank_name, branch, branch_name, kind, account, name, amount = values
        assert record == {
            "データ区分": "2",
            "被仕向銀行番号": bank,
            "被仕向銀行名": bank_name.ljust(15),
            "被仕向支店番号": branch,
            "被仕向支店名": branch_name.ljust(15),
            "手形交換所番号": "0000",
            "預金種目": kind,
            "口座番号": account,
            "受取人名": name.ljust(30),
            "振込金額": f"{amount:010d}",
            "新規コード": "0",
            "EDI情報": f"PN-2027-000{number + 1}".ljust(20),
            "振込指定区分": "7",
            "識別表示": "Y",
            "ダミー": " " * 7,
        }
    assert trailer == {
        "データ区分": "8",
        "合計件数": "000003",
        "合計金額": f"{123_456 + 29_560 + 9_999_999_999:012d}",
        "ダミー": " " * 101,
    }
    assert int(trailer["合計金額"]) == sum(int(t["振込金額"]) for t in transfers)
    assert end == {"データ区分": "9", "ダミー": " " * 119}


def test_file_without_line_endings_concatenates_records():
    data = zengin_file(
        originator=ORIGINATOR,
        payment_date=MONDAY,
        transfers=TRANSFERS,
        line_ending="none",
    )

    assert len(data) == 6 * 120
    assert [r["データ区分"] for r in parse(data, crlf=False)] == list("122289")
    with_crlf = zengin_file(
        originator=ORIGINATOR, payment_date=MONDAY, transfers=TRANSFERS
    )
    assert data == with_crlf.replace(b"\r\n", b"")


def test_every_byte_is_ascii_or_half_width_kana():
    data = zengin_file(originator=ORIGINATOR, payment_date=MONDAY, transfers=TRANSFERS)

    assert set(data) <= {0x0D, 0x0A} | set(range(0x20, 0x7F)) | set(range(0xA1, 0xE0))
    assert ZENGIN_CHARACTERS.fullmatch(data.decode("cp932").replace("\r\n", ""))


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2027, 3, 1), True),  # Monday
        (date(2027, 3, 6), False),  # Saturday
        (date(2027, 3, 7), False),  # Sunday
        (date(2027, 2, 11), False),  # 建国記念の日
        (date(2026, 12, 29), True),  # city offices close, banks do not
        (date(2026, 12, 30), True),
        (date(2026, 12, 31), False),
        (date(2027, 1, 1), False),
        (date(2027, 1, 3), False),
        (date(2027, 1, 4), True),
    ],
)
def test_bank_business_day(day, open_):
    assert bank_business_day(day) is open_


@pytest.mark.parametrize(
    "day", [date(2027, 3, 6), date(2027, 1, 1), date(2026, 12, 31)]
)
def test_file_refuses_a_bank_holiday(day):
    with pytest.raises(ZenginError) as excinfo:
        zengin_file(originator=ORIGINATOR, payment_date=day, transfers=TRANSFERS)

    assert excinfo.value.problems == [
        f"振込指定日 {day:%Y-%m-%d} は銀行の休業日です"
        "（土日・祝日・12月31日〜1月3日）。"
    ]


def test_file_lists_every_problem_at_once():
    originator = Originator(
        code="12345",
        name_kana="鹿屋市",
        bank_code="0185",
        bank_name_kana="",
        branch_code="002",
        branch_name_kana="",
        account_type="4",
        account_number="1234567",
    )
    good = TRANSFERS[0]
    no_account = Transfer(
        bank_code="",
        bank_name_kana="",
        branch_code="",
        branch_name_kana="",
        account_type="1",
        account_number="",
        payee_name_kana="ｻﾄｳ ﾊﾅｺ",
        amount=1,
        edi="PN-1",
    )
    kanji = Transfer(
        bank_code="0000",
        bank_name_kana="",
        branch_code="1",
        branch_name_kana="",
        account_type="9",
        account_number="12345678",
        payee_name_kana="株式会社カノヤ商事",
        amount=0,
        edi="",
    )
    too_much = Transfer(
        bank_code="0185",
        bank_name_kana="",
        branch_code="500",
        branch_name_kana="",
        account_type="1",
        account_number="1",
        payee_name_kana="ﾀﾅｶ ｼﾞﾛｳ",
        amount=10_000_000_000,
        edi="pn-2027-0004-extra-long",
    )

    with pytest.raises(ZenginError) as excinfo:
        zengin_file(
            originator=originator,
            payment_date=date(2027, 3, 6),
            transfers=[good, no_account, kanji, too_much],
        )

    sato = "2件目の振込（ｻﾄｳ ﾊﾅｺ、支払通知 PN-1）"
    kanoya = "3件目の振込（株式会社カノヤ商事、支払通知 なし）"
    tanaka = "4件目の振込（ﾀﾅｶ ｼﾞﾛｳ、支払通知 pn-2027-0004-extra-long）"
    assert excinfo.value.problems == [
        "委託者: 委託者コード「12345」は10桁の数字ではありません。",
        "委託者: 委託者名に全銀データで使えない文字があります:"
        " 「鹿」、「屋」、「市」。",
        "委託者: 支店コード 002 は鹿児島（0185）の支店マスタにありません。",
        "委託者: 預金種目「4」は"
        "1（普通）・2（当座）・9（その他）のいずれかにしてください。",
        "振込指定日 2027-03-06 は銀行の休業日です（土日・祝日・12月31日〜1月3日）。",
        f"{sato}: 口座（金融機関・支店・口座番号）がありません。",
        f"{kanoya}: 受取人名に全銀データで使えない文字があります: 「商」、「事」。",
        f"{kanoya}: 金融機関コード 0000 は金融機関マスタにありません。",
        f"{kanoya}: 支店コード「1」は3桁の数字ではありません。",
        f"{kanoya}: 預金種目「9」は"
        "1（普通）・2（当座）・4（貯蓄）のいずれかにしてください。",
        f"{kanoya}: 口座番号「12345678」は7桁以内の数字ではありません。",
        f"{kanoya}: 振込金額 0 円は 1〜9,999,999,999 円の整数ではありません。",
        f"{kanoya}: EDI情報（支払通知番号）がありません。",
        f"{tanaka}: 振込金額 10000000000 円は"
        " 1〜9,999,999,999 円の整数ではありません。",
        f"{tanaka}: EDI情報「pn-2027-0004-extra-long」は20文字以内の"
        "半角英大文字・数字・カナ・記号 ( ) - . にしてください。",
    ]


def test_file_needs_a_transfer():
    with pytest.raises(ZenginError) as excinfo:
        zengin_file(originator=ORIGINATOR, payment_date=MONDAY, transfers=[])

    assert excinfo.value.problems == ["振込がありません。"]


def test_file_refuses_a_total_beyond_the_trailer_field():
    transfers = [TRANSFERS[2]] * 101

    with pytest.raises(ZenginError) as excinfo:
        zengin_file(originator=ORIGINATOR, payment_date=MONDAY, transfers=transfers)

    assert excinfo.value.problems == [
        "合計金額 1,009,999,999,899 円は 999,999,999,999 円を超えています。"
    ]


def _settings(bearer):
    return TreasurySettings(
        fee_bearer=bearer,
        fee_same_branch_small=100,
        fee_same_branch_large=200,
        fee_same_bank_small=110,
        fee_same_bank_large=330,
        fee_other_bank_small=440,
        fee_other_bank_large=660,
    )


@pytest.mark.parametrize(
    ("same_bank", "same_branch", "amount", "fee"),
    [
        (True, True, 29_999, 100),
        (True, True, 50_000, 200),
        (True, False, 29_999, 110),
        (True, False, 50_000, 330),
        (False, False, 29_999, 440),
        (False, False, 50_000, 660),
        # The bank bands by the amount transferred, after the deduction.
        (False, False, 30_660, 660),  # 30,000 transferred
        (False, False, 30_659, 440),  # 660 would leave 29,999: never over-deduct
        (False, False, 30_000, 440),
    ],
)
def test_fee_when_the_supplier_bears_it(same_bank, same_branch, amount, fee):
    settings = _settings(FeeBearer.PAYEE)

    assert (
        transfer_fee(
            amount=amount,
            same_bank=same_bank,
            same_branch=same_branch,
            settings=settings,
        )
        == fee
    )


@pytest.mark.parametrize(
    ("same_bank", "same_branch"), [(True, True), (True, False), (False, False)]
)
@pytest.mark.parametrize("amount", [1, 29_999, 30_000, 1_000_000])
def test_no_fee_when_the_city_bears_it(same_bank, same_branch, amount):
    settings = _settings(FeeBearer.PAYER)

    assert (
        transfer_fee(
            amount=amount,
            same_bank=same_bank,
            same_branch=same_branch,
            settings=settings,
        )
        == 0
    )
