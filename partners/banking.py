"""Bank master look-ups and Zengin input normalisation (振込先のチェック).

Pure functions, no database: bank and branch codes are checked against the
``zengin-code`` master; account holders are converted to the characters a
Zengin transfer file accepts (``reference/zengin.md`` §2, §5).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

import jaconv
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from partners.models import AccountType

JAPAN_POST_BANK_CODE = "9900"
ACCOUNT_NUMBER_LENGTH = 7
HOLDER_KANA_MAX_LENGTH = 30


@dataclass(frozen=True)
class Bank:
    """A bank in the Zengin master. ``name`` omits 銀行 as the master does
    (三菱UFJ); ``kana`` is half-width as in a transfer file."""

    code: str
    name: str
    kana: str


@dataclass(frozen=True)
class Branch:
    """A branch (支店・店番) of a bank in the Zengin master."""

    code: str
    name: str
    kana: str


@cache
def _zengin_banks():
    # zengin-code loads its whole master (~30 MB) on import: pay for it only
    # in processes that look a code up.
    import zengin_code

    return zengin_code.Bank.all


def _digits(value: str) -> str:
    # NFKC turns full-width digits (０００５) into ASCII ones.
    return unicodedata.normalize("NFKC", value or "").strip()


def _half_width(text: str) -> str:
    return jaconv.z2h(text, kana=True, ascii=True, digit=True)


def bank_lookup(code: str) -> Bank | None:
    """The bank with 金融機関コード ``code``, or ``None``."""
    bank = _zengin_banks().get(_digits(code))
    if bank is None:
        return None
    return Bank(
        code=bank.code,
        name=unicodedata.normalize("NFKC", bank.name),
        kana=_half_width(bank.kana),
    )


def branch_lookup(bank_code: str, branch_code: str) -> Branch | None:
    """The branch ``branch_code`` of bank ``bank_code``, or ``None``."""
    bank = _zengin_banks().get(_digits(bank_code))
    branch = bank.branches.get(_digits(branch_code)) if bank else None
    if branch is None:
        return None
    return Branch(
        code=branch.code,
        name=unicodedata.normalize("NFKC", branch.name),
        kana=_half_width(branch.kana),
    )


# Searching by name: 銀行/支店 are not part of the master's names (みずほ,
# 東京営業部), so a query that ends with them still matches.
_SEARCH_SUFFIXES = ("銀行", "ギンコウ", "支店", "シテン")
_SEARCH_DASHES = str.maketrans(dict.fromkeys("ー‐‑‒–—―−ｰ", "-"))
SEARCH_LIMIT = 30


def _search_key(text: str) -> str:
    """Name or kana in one comparable form: NFKC (half-width kana and
    full-width letters), katakana, small kana enlarged as in the master,
    one kind of dash, upper case, no spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = jaconv.enlarge_smallkana(jaconv.hira2kata(text))
    return "".join(text.translate(_SEARCH_DASHES).upper().split())


# The master abbreviates kinds of institution as the bankbook does not:
# 鹿児島信用金庫 is 鹿児島信金 (カゴシマシンキン) there.
_SEARCH_ABBREVIATIONS = (
    ("信用金庫", "信金"),
    ("シンヨウキンコ", "シンキン"),
    ("信用組合", "信組"),
    ("シンヨウクミアイ", "シンクミ"),
    ("農業協同組合", "農協"),
    ("ノウギヨウキヨウドウクミアイ", "ノウキヨウ"),
    ("労働金庫", "労金"),
    ("ロウドウキンコ", "ロウキン"),
    ("漁業協同組合", "漁協"),
    ("ギヨギヨウキヨウドウクミアイ", "ギヨキヨウ"),
)


def _query_key(query: str) -> str:
    key = _search_key(query)
    for full, short in _SEARCH_ABBREVIATIONS:
        key = key.replace(full, short)
    for suffix in _SEARCH_SUFFIXES:
        if key.endswith(suffix) and key != suffix:
            return key.removesuffix(suffix)
    return key


def _index(entries) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, search keys of name, kana and romaji) per master entry."""
    return tuple(
        (
            entry.code,
            tuple(_search_key(n) for n in (entry.name, entry.kana, entry.roma)),
        )
        for entry in entries
    )


@cache
def _bank_index():
    return _index(_zengin_banks().values())


@lru_cache(maxsize=64)
def _branch_index(bank_code: str):
    return _index(_zengin_banks()[bank_code].branches.values())


def _ranked(index, query: str, limit: int) -> list[str]:
    """Codes matching ``query`` by code prefix or by name, kana or romaji
    substring; whole and leading matches first, then by code."""
    key = _query_key(query)
    if not key:
        return []
    ranked = []
    for code, keys in index:
        if key.isdigit() and code.startswith(key):
            rank = 0
        elif key in keys:
            rank = 1
        elif any(k.startswith(key) for k in keys):
            rank = 2
        elif any(key in k for k in keys):
            rank = 3
        else:
            continue
        ranked.append((rank, code))
    ranked.sort()
    return [code for _, code in ranked[:limit]]


def bank_search(query: str, *, limit: int = SEARCH_LIMIT) -> list[Bank]:
    """Banks whose code starts with ``query`` or whose name, kana or
    romaji contains it (みずほ, ミズホ, ﾐｽﾞﾎ and mizuho all find 0001)."""
    return [bank_lookup(code) for code in _ranked(_bank_index(), query, limit)]


def branch_search(
    bank_code: str, query: str, *, limit: int = SEARCH_LIMIT
) -> list[Branch]:
    """Branches of ``bank_code`` matching ``query`` as ``bank_search``
    does; an unknown bank has none."""
    bank_code = _digits(bank_code)
    if bank_code not in _zengin_banks():
        return []
    return [
        branch_lookup(bank_code, code)
        for code in _ranked(_branch_index(bank_code), query, limit)
    ]


def bank_validate(code: str) -> Bank:
    """The bank for ``code`` (full-width digits accepted).

    Raises ``ValidationError`` when the code is not 4 digits or is not in
    the master.
    """
    code = _digits(code)
    if not re.fullmatch(r"[0-9]{4}", code):
        raise ValidationError(
            gettext("金融機関コードは4桁の数字で入力してください（例: 0005）。"),
            code="bank_code_format",
        )
    bank = bank_lookup(code)
    if bank is None:
        raise ValidationError(
            gettext(
                "金融機関コード %(code)s は見つかりません。"
                "通帳やキャッシュカードで4桁のコードを確認してください。"
            ),
            code="bank_unknown",
            params={"code": code},
        )
    return bank


def branch_validate(bank: Bank, branch_code: str) -> Branch:
    """The branch ``branch_code`` of ``bank`` (full-width digits accepted).

    Raises ``ValidationError`` when the code is not 3 digits or the bank has
    no such branch.
    """
    branch_code = _digits(branch_code)
    if not re.fullmatch(r"[0-9]{3}", branch_code):
        raise ValidationError(
            gettext("支店コードは3桁の数字で入力してください（例: 001）。"),
            code="branch_code_format",
        )
    branch = branch_lookup(bank.code, branch_code)
    if branch is None:
        raise ValidationError(
            gettext(
                "支店コード %(code)s は %(bank)s（%(bank_code)s）に見つかりません。"
                "通帳やキャッシュカードで3桁の支店コード（店番）を確認してください。"
            ),
            code="branch_unknown",
            params={"code": branch_code, "bank": bank.name, "bank_code": bank.code},
        )
    return branch


def account_number_normalize(value: str) -> str:
    """口座番号 as a Zengin file carries it: 1–7 digits, zero-padded to 7."""
    number = _digits(value)
    if not re.fullmatch(r"[0-9]{1,7}", number):
        raise ValidationError(
            gettext(
                "口座番号は7桁以内の数字で入力してください（ハイフンや記号は不要です）。"
            ),
            code="account_number_format",
        )
    return number.zfill(ACCOUNT_NUMBER_LENGTH)


def japan_post_to_zengin(kigou: str, bangou: str) -> tuple[str, AccountType, str]:
    """Convert a ゆうちょ銀行 記号・番号 to (店番, 預金種目, 口座番号).

    記号 starting with 1 (総合口座・通常貯金): 店番 = 記号の2–3桁目 + 8, 普通,
    口座番号 = 番号 (8 digits ending in 1, zero-padded) without its last digit.
    記号 starting with 0 (振替口座): 店番 = 記号の2–3桁目 + 9, 当座,
    口座番号 = 番号 (up to 6 digits) zero-padded to 7.

    Raises ``ValidationError`` with code ``kigou`` or ``bangou`` naming the
    malformed part.
    """
    kigou, bangou = _digits(kigou), _digits(bangou)
    if not re.fullmatch(r"[01][0-9]{4}", kigou):
        raise ValidationError(
            gettext(
                "ゆうちょ銀行の記号は、0または1で始まる5桁の数字で入力してください"
                "（例: 12345）。"
            ),
            code="kigou",
        )
    if kigou.startswith("1"):
        if not re.fullmatch(r"[0-9]{1,8}", bangou) or not bangou.endswith("1"):
            raise ValidationError(
                gettext(
                    "ゆうちょ銀行の番号は、末尾が1の8桁以内の数字で入力してください"
                    "（例: 12345671）。"
                ),
                code="bangou",
            )
        return (
            kigou[1:3] + "8",
            AccountType.ORDINARY,
            bangou[:-1].zfill(ACCOUNT_NUMBER_LENGTH),
        )
    if not re.fullmatch(r"[0-9]{1,6}", bangou):
        raise ValidationError(
            gettext("振替口座の番号は6桁以内の数字で入力してください（例: 123456）。"),
            code="bangou",
        )
    return kigou[1:3] + "9", AccountType.CURRENT, bangou.zfill(ACCOUNT_NUMBER_LENGTH)


# 法人略語 and 営業所略語 (zengin.md §2.2): kanji and kana spellings, the kana
# as they read after hiragana→katakana and small-kana enlargement.
_KAISHA = ("ガイシヤ", "カイシヤ")
_CORPORATE_TERMS = {
    "ｶ": ("株式会社", "(株)", *(f"カブシキ{k}" for k in _KAISHA)),
    "ﾕ": ("有限会社", "(有)", *(f"ユウゲン{k}" for k in _KAISHA)),
    "ﾒ": ("合名会社", *(f"ゴウメイ{k}" for k in _KAISHA)),
    "ｼ": ("合資会社", *(f"ゴウシ{k}" for k in _KAISHA)),
    "ﾄﾞ": ("合同会社", *(f"ゴウドウ{k}" for k in _KAISHA)),
    "ｿ": ("相互会社", *(f"ソウゴ{k}" for k in _KAISHA)),
    "ｲ": (
        "医療法人",
        "医療法人社団",
        "医療法人財団",
        "社会医療法人",
        "イリヨウホウジン",
        "イリヨウホウジンシヤダン",
        "イリヨウホウジンザイダン",
        "シヤカイイリヨウホウジン",
    ),
    "ｻﾞｲ": (
        "財団法人",
        "一般財団法人",
        "公益財団法人",
        "ザイダンホウジン",
        "イツパンザイダンホウジン",
        "コウエキザイダンホウジン",
    ),
    "ｼﾔ": (
        "社団法人",
        "一般社団法人",
        "公益社団法人",
        "シヤダンホウジン",
        "イツパンシヤダンホウジン",
        "コウエキシヤダンホウジン",
    ),
    "ｼﾕｳ": ("宗教法人", "シユウキヨウホウジン"),
    "ｶﾞｸ": ("学校法人", "ガツコウホウジン"),
    "ﾌｸ": ("社会福祉法人", "シヤカイフクシホウジン"),
    "ﾎｺﾞ": ("更生保護法人", "コウセイホゴホウジン"),
    "ﾄｸﾋ": ("特定非営利活動法人", "NPO法人", "トクテイヒエイリカツドウホウジン"),
    "ﾄﾞｸ": ("独立行政法人", "ドクリツギヨウセイホウジン"),
    "ﾁﾄﾞｸ": ("地方独立行政法人", "チホウドクリツギヨウセイホウジン"),
    "ﾍﾞﾝ": ("弁護士法人", "ベンゴシホウジン"),
    "ｷﾞﾖ": ("行政書士法人", "ギヨウセイシヨシホウジン"),
    "ｼﾎｳ": ("司法書士法人", "シホウシヨシホウジン"),
    "ｾﾞｲ": ("税理士法人", "ゼイリシホウジン"),
    "ﾛｳﾑ": ("社会保険労務士法人", "シヤカイホケンロウムシホウジン"),
    "ﾁﾕｳ": (
        "有限責任中間法人",
        "無限責任中間法人",
        "ユウゲンセキニンチユウカンホウジン",
        "ムゲンセキニンチユウカンホウジン",
    ),
    "ﾀﾞｲ": (
        "国立大学法人",
        "公立大学法人",
        "コクリツダイガクホウジン",
        "コウリツダイガクホウジン",
    ),
    "ﾉｳ": ("農事組合法人", "ノウジクミアイホウジン"),
    "ｶﾝﾘ": ("管理組合法人", "カンリクミアイホウジン"),
    "ｹﾝ": ("国立研究開発法人", "コクリツケンキユウカイハツホウジン"),
    "ﾓｸ": ("中期目標管理法人", "チユウキモクヒヨウカンリホウジン"),
    "ｼﾂ": ("行政執行法人", "ギヨウセイシツコウホウジン"),
}
_OFFICE_TERMS = {
    "ｴｲ": ("営業所", "エイギヨウシヨ"),
    "ｼﾕﾂ": ("出張所", "シユツチヨウシヨ"),
}


def _term_pattern(table: dict[str, tuple[str, ...]]):
    by_term = {term: abbr for abbr, terms in table.items() for term in terms}
    # Longest first, so 一般社団法人 wins over 社団法人 at the same position.
    alternatives = sorted(by_term, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives))), by_term


_CORPORATE = _term_pattern(_CORPORATE_TERMS)
_OFFICE = _term_pattern(_OFFICE_TERMS)


def _abbreviate(text: str, pattern, by_term: dict[str, str]) -> str:
    """Replace the first term by its abbreviation, placed by the position
    rule: ｶ)ﾔﾏﾀﾞ at the start, ﾔﾏﾀﾞ(ｶ at the end, ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳ between."""
    match = pattern.search(text)
    if match is None:
        return text
    abbr = by_term[match.group()]
    before, after = text[: match.start()].strip(), text[match.end() :].strip()
    if not before:
        return f"{abbr}){after}"
    if not after:
        return f"{before}({abbr}"
    return f"{before}({abbr}){after}"


_DASHES = str.maketrans(dict.fromkeys("ー‐‑–—―−ｰ", "-"))
# Kana that jaconv leaves alone or that Zengin names may not carry.
_FULL_WIDTH_FIXES = str.maketrans("ヮヰヱヲ・", "ワイエオ ")
_HALF_WIDTH_FIXES = str.maketrans("ｧｨｩｪｫｬｭｮｯｦ", "ｱｲｳｴｵﾔﾕﾖﾂｵ")
_HOLDER_ALLOWED = re.compile(r"[0-9A-Zｱ-ﾝﾞﾟ ()\-.]")


def holder_kana_normalize(
    text: str, *, max_length: int | None = HOLDER_KANA_MAX_LENGTH
) -> str:
    """The 口座名義 as a Zengin file carries it (zengin.md §2.3).

    Hiragana, full-width and small kana are converted; 株式会社 and the other
    法人略語 become ｶ) / (ｶ / (ｶ) by position. Kanji cannot be converted, so
    any remaining kanji or other disallowed character raises
    ``ValidationError`` naming it. The result is cut to ``max_length``
    characters (the width of the 受取人名 field) unless that is ``None``.
    """
    kana = unicodedata.normalize("NFKC", text or "")
    kana = jaconv.enlarge_smallkana(jaconv.hira2kata(kana))
    kana = kana.translate(_FULL_WIDTH_FIXES)
    kana = _abbreviate(kana, *_CORPORATE)
    kana = _abbreviate(kana, *_OFFICE)
    kana = _half_width(kana).upper()
    kana = kana.translate(_HALF_WIDTH_FIXES).translate(_DASHES)
    kana = " ".join(kana.split())
    if not kana:
        raise ValidationError(
            gettext("口座名義（カナ）を入力してください。"), code="holder_required"
        )
    rejected = dict.fromkeys(ch for ch in kana if not _HOLDER_ALLOWED.fullmatch(ch))
    if rejected:
        raise ValidationError(
            gettext(
                "口座名義（カナ）に使えない文字があります: %(chars)s。"
                "通帳に印字されているとおりにカタカナで入力してください"
                "（漢字や一部の記号は使えません）。"
            ),
            code="holder_characters",
            params={"chars": "、".join(f"「{ch}」" for ch in rejected)},
        )
    return kana if max_length is None else kana[:max_length]
