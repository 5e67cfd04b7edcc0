"""Bank master look-ups and Zengin normalisation (reference/zengin.md §2, §5).
Pure functions: no database."""

import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, strategies as st

from partners.banking import (
    account_number_normalize,
    bank_lookup,
    bank_search,
    bank_validate,
    branch_lookup,
    branch_search,
    branch_validate,
    holder_kana_normalize,
    japan_post_to_zengin,
)
from partners.models import AccountType

ZENGIN_NAME = re.compile(r"^[0-9A-Zｱ-ﾝﾞﾟ ()\-.]{1,30}$")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # zengin.md §2.3, checked there against jaconv
        ("合同会社キャノン", "ﾄﾞ)ｷﾔﾉﾝ"),
        ("ギフショウジ株式会社", "ｷﾞﾌｼﾖｳｼﾞ(ｶ"),
        # the position rule: start ｶ), end (ｶ, middle (ｶ)
        ("株式会社ヤマダ", "ｶ)ﾔﾏﾀﾞ"),
        ("ヤマダ株式会社", "ﾔﾏﾀﾞ(ｶ"),
        ("ヤマダ株式会社トウキョウシテン", "ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳｼﾃﾝ"),
        ("ヤマダ 株式会社 トウキョウ", "ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳ"),
        # kana spellings of the company type, in hiragana or half-width
        ("かぶしきがいしゃ やまだ", "ｶ)ﾔﾏﾀﾞ"),
        ("ｶﾌﾞｼｷｶﾞｲｼｬﾔﾏﾀﾞ", "ｶ)ﾔﾏﾀﾞ"),
        ("ユウゲンガイシャ　サトウショウテン", "ﾕ)ｻﾄｳｼﾖｳﾃﾝ"),
        ("㈱ヤマダ", "ｶ)ﾔﾏﾀﾞ"),
        # longest term first: 一般社団法人, not 社団法人
        ("一般社団法人ニホンキョウカイ", "ｼﾔ)ﾆﾎﾝｷﾖｳｶｲ"),
        ("医療法人社団ミドリカイ", "ｲ)ﾐﾄﾞﾘｶｲ"),
        ("特定非営利活動法人カノヤ", "ﾄｸﾋ)ｶﾉﾔ"),
        # 営業所略語 follows the same rule, next to a 法人略語
        ("ヤマダ株式会社カノヤ営業所", "ﾔﾏﾀﾞ(ｶ)ｶﾉﾔ(ｴｲ"),
        # already in passbook form: unchanged
        ("ｶ)ﾔﾏﾀﾞ", "ｶ)ﾔﾏﾀﾞ"),
        ("ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳ", "ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳ"),
        # small kana enlarged, long vowel → hyphen, 中黒 → space
        ("キュウシュウ・デンキ", "ｷﾕｳｼﾕｳ ﾃﾞﾝｷ"),
        ("セーラー", "ｾ-ﾗ-"),
        ("ヴァイオリン", "ｳﾞｱｲｵﾘﾝ"),
        # full-width and lower-case latin
        ("ｙａｍａｄａ　ｔｒａｄｉｎｇ", "YAMADA TRADING"),
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
    ],
)
def test_holder_kana_normalize_gives_zengin_kana(text, expected):
    assert holder_kana_normalize(text) == expected


def test_holder_kana_rejects_kanji_and_names_it():
    with pytest.raises(ValidationError) as excinfo:
        holder_kana_normalize("株式会社山田商事")
    message = excinfo.value.messages[0]
    assert "「山」、「田」、「商」、「事」" in message
    assert "通帳に印字されているとおりにカタカナで" in message


def test_holder_kana_rejects_disallowed_symbols():
    with pytest.raises(ValidationError) as excinfo:
        holder_kana_normalize("ヤマダ＠タロウ")
    assert "「@」" in excinfo.value.messages[0]


def test_holder_kana_requires_some_text():
    with pytest.raises(ValidationError) as excinfo:
        holder_kana_normalize(" 　")
    assert excinfo.value.messages == ["口座名義（カナ）を入力してください。"]


def test_holder_kana_is_cut_to_the_30_characters_of_the_field():
    long_name = "ア" * 35
    assert holder_kana_normalize(long_name) == "ｱ" * 30
    assert holder_kana_normalize(long_name, max_length=None) == "ｱ" * 35


@given(st.text(max_size=40))
def test_holder_kana_result_is_always_transferable(text):
    try:
        kana = holder_kana_normalize(text)
    except ValidationError:
        return
    assert ZENGIN_NAME.match(kana)


def test_bank_lookup_converts_the_masters_full_width_names():
    bank = bank_lookup("０００５")
    assert bank.code == "0005"
    assert bank.name == "三菱UFJ"
    assert bank.kana == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"


def test_branch_lookup_finds_a_branch_of_the_bank():
    branch = branch_lookup("0005", "001")
    assert (branch.code, branch.name, branch.kana) == ("001", "本店", "ﾎﾝﾃﾝ")


def test_lookups_return_none_for_unknown_codes():
    assert bank_lookup("9999") is None
    assert branch_lookup("0005", "999") is None
    assert branch_lookup("9999", "001") is None


def test_unknown_bank_code_has_a_specific_japanese_message():
    with pytest.raises(ValidationError) as excinfo:
        bank_validate("9999")
    assert excinfo.value.messages == [
        "金融機関コード 9999 は見つかりません。"
        "通帳やキャッシュカードで4桁のコードを確認してください。"
    ]


def test_unknown_branch_code_has_a_specific_japanese_message():
    with pytest.raises(ValidationError) as excinfo:
        branch_validate(bank_validate("0005"), "999")
    assert excinfo.value.messages == [
        "支店コード 999 は 三菱UFJ（0005）に見つかりません。"
        "通帳やキャッシュカードで3桁の支店コード（店番）を確認してください。"
    ]


@pytest.mark.parametrize("code", ["5", "00051", "ABCD", ""])
def test_malformed_bank_code_asks_for_four_digits(code):
    with pytest.raises(ValidationError) as excinfo:
        bank_validate(code)
    assert "4桁の数字" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1234567", "1234567"), ("123", "0000123"), ("１２３４５", "0012345")],
)
def test_account_number_is_zero_padded_to_seven_digits(value, expected):
    assert account_number_normalize(value) == expected


@pytest.mark.parametrize("value", ["12345678", "12-345", "", "ABC"])
def test_account_number_rejects_anything_but_one_to_seven_digits(value):
    with pytest.raises(ValidationError) as excinfo:
        account_number_normalize(value)
    assert "口座番号は7桁以内の数字" in excinfo.value.messages[0]


def test_japan_post_ordinary_account_converts_to_zengin_form():
    # zengin.md §5.2: 12345 / 12345671 → 店番 238, 普通, 1234567
    assert japan_post_to_zengin("12345", "12345671") == (
        "238",
        AccountType.ORDINARY,
        "1234567",
    )
    assert branch_lookup("9900", "238").name == "二三八"


def test_japan_post_short_number_is_zero_padded():
    assert japan_post_to_zengin("１４０３０", "54321") == (
        "408",
        AccountType.ORDINARY,
        "0005432",
    )


def test_japan_post_transfer_account_converts_to_current_account():
    # 振替口座: 店番 = 記号の2–3桁目 + 9, 当座, 番号 zero-padded to 7
    assert japan_post_to_zengin("00190", "123456") == (
        "019",
        AccountType.CURRENT,
        "0123456",
    )
    assert branch_lookup("9900", "019").name == "〇一九"


@pytest.mark.parametrize(
    ("kigou", "bangou", "code"),
    [
        ("1234", "12345671", "kigou"),
        ("22345", "12345671", "kigou"),
        ("12345", "12345678", "bangou"),
        ("12345", "123456781", "bangou"),
        ("01230", "1234567", "bangou"),
    ],
)
def test_japan_post_malformed_input_names_the_wrong_part(kigou, bangou, code):
    with pytest.raises(ValidationError) as excinfo:
        japan_post_to_zengin(kigou, bangou)
    assert excinfo.value.code == code
    assert (
        "ゆうちょ銀行" in excinfo.value.messages[0]
        or "振替口座" in (excinfo.value.messages[0])
    )


# Search by name or kana (issue 13.11) ----------------------------------------


@pytest.mark.parametrize(
    "query",
    ["みずほ", "ミズホ", "ﾐｽﾞﾎ", "みずほ銀行", "ミズホギンコウ", "mizuho", "０００１"],
)
def test_bank_is_found_by_name_kana_romaji_or_code(query):
    assert bank_search(query)[0] == bank_lookup("0001")


def test_whole_name_matches_come_before_partial_ones():
    codes = [bank.code for bank in bank_search("みずほ")]
    assert codes[0] == "0001"
    assert "0289" in codes  # みずほ信託
    assert [bank.code for bank in bank_search("三菱UFJ")][:2] == ["0005", "0288"]


def test_kana_with_small_letters_and_long_vowel_marks_is_found():
    # The master enlarges small kana (ミツビシユ－エフジエイ) and uses －.
    assert bank_search("ミツビシユーエフジェイ")[0].code == "0005"
    assert bank_search("ﾛｰｿﾝ")[0].code == "0042"


def test_empty_or_unmatched_queries_find_nothing():
    assert bank_search("") == []
    assert bank_search("  ") == []
    assert bank_search("存在しない銀行名") == []


def test_results_are_limited():
    assert len(bank_search("信金", limit=5)) == 5


@pytest.mark.parametrize(
    "query", ["鹿児島信用金庫", "かごしましんようきんこ", "鹿児島信金"]
)
def test_kinds_of_institution_are_found_by_their_full_names(query):
    assert bank_search(query)[0].name == "鹿児島信金"


@pytest.mark.parametrize(
    "query", ["東京営業部", "とうきょう", "ﾄｳｷｮｳ", "東京営業部支店"]
)
def test_branch_is_found_by_name_or_kana_within_its_bank(query):
    found = branch_search("0001", query)
    assert found[0] == branch_lookup("0001", "001")


def test_branch_search_stays_within_the_bank():
    mizuho = branch_search("0001", "新宿")
    assert mizuho
    assert mizuho == [branch_lookup("0001", branch.code) for branch in mizuho]
    assert all("新宿" in branch.name for branch in mizuho)
    assert {b.code for b in mizuho} != {b.code for b in branch_search("0005", "新宿")}
    assert branch_search("9999", "本店") == []
    assert branch_search("０００５", "本店")[0] == branch_lookup("0005", "001")
