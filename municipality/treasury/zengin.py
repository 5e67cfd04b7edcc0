"""Zengin 総合振込 files (全銀協フォーマット, 種別コード 21) and transfer fees.

Pure functions, no database: a service builds the ``Originator`` and
``Transfer`` values from the treasury settings and the payment notices and
stores what ``zengin_file`` returns. Layout, characters and checks follow
``reference/zengin.md`` §1, §2 and §5.
"""

import re
from dataclasses import dataclass
from datetime import date

import jpholiday
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy as _

from municipality.models import FeeBearer, LineEnding, TreasurySettings
from partners.banking import bank_lookup, branch_lookup, holder_kana_normalize

RECORD_LENGTH = 120
MAX_AMOUNT = 9_999_999_999
MAX_TOTAL = 999_999_999_999
FEE_BAND_LIMIT = 30_000
# The safe 受取人名 set (zengin.md §2.1), for every field of the file.
_ALLOWED = r"0-9A-Zｱ-ﾝﾞﾟ ()\-."
_RECORD = re.compile(f"[{_ALLOWED}]{{{RECORD_LENGTH}}}")
_EDI = re.compile(f"[{_ALLOWED}]{{1,20}}")
_LINE_ENDINGS = {LineEnding.CRLF: "\r\n", LineEnding.NONE: ""}
_ORIGINATOR_ACCOUNT_TYPES = {"1": _("普通"), "2": _("当座"), "9": _("その他")}
_PAYEE_ACCOUNT_TYPES = {"1": _("普通"), "2": _("当座"), "4": _("貯蓄")}


@dataclass(frozen=True)
class Originator:
    """The city as 振込依頼人 (委託者): its bank-assigned 委託者コード and
    the account debited. Blank bank or branch names are taken from the
    Zengin master."""

    code: str
    name_kana: str
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class Transfer:
    """One 振込 to a supplier's account; ``edi`` is the payment notice
    number (支払通知番号) sent as EDI情報. Blank bank or branch names are
    taken from the Zengin master."""

    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str
    account_number: str
    payee_name_kana: str
    amount: int
    edi: str


class ZenginError(ValueError):
    """The file cannot be written; ``problems`` lists every reason, each
    naming the originator or the transfer and the field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def bank_business_day(day: date) -> bool:
    """Days banks are open: weekdays that are neither public holidays nor
    the 12/31–1/3 closure (銀行法施行令 第5条). Unlike the city's offices,
    banks are open on 12/29 and 12/30."""
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return (day.month, day.day) != (12, 31) and not (day.month == 1 and day.day <= 3)


def transfer_fee(
    *, amount: int, same_bank: bool, same_branch: bool, settings: TreasurySettings
) -> int:
    """The fee deducted from a transfer of ``amount`` yen owed (請求額), from
    the fee table of ``settings`` (a ``TreasurySettings``); 0 when the city
    bears the fee (当方負担). ``same_branch`` implies ``same_bank``.

    The bank bands its fee by the amount transferred, which is ``amount``
    less the fee. The higher band applies only when the transfer still
    reaches 30,000 yen after deducting the higher fee, so the supplier is
    never charged more than the bank charges (zengin.md §5.3).
    """
    if settings.fee_bearer == FeeBearer.PAYER:
        return 0
    if same_branch:
        small, large = settings.fee_same_branch_small, settings.fee_same_branch_large
    elif same_bank:
        small, large = settings.fee_same_bank_small, settings.fee_same_bank_large
    else:
        small, large = settings.fee_other_bank_small, settings.fee_other_bank_large
    return large if amount - large >= FEE_BAND_LIMIT else small


def zengin_file(
    *,
    originator: Originator,
    payment_date: date,
    transfers: list[Transfer],
    line_ending: str = LineEnding.CRLF,
) -> bytes:
    """The 総合振込 file: header, one data record per transfer, trailer and
    end record, 120 bytes each in JIS X 0201 (cp932), each followed by CR+LF
    when ``line_ending`` is ``"crlf"`` and by nothing when ``"none"``.

    Raises ``ZenginError`` listing every problem found before anything is
    written.
    """
    newline = _LINE_ENDINGS[line_ending]
    problems: list[str] = []
    header = _header(originator, payment_date, problems)
    data = [_data(n, t, problems) for n, t in enumerate(transfers, start=1)]
    total = sum(t.amount for t in transfers if _amount_valid(t.amount))
    if not transfers:
        problems.append(gettext("振込がありません。"))
    if total > MAX_TOTAL:
        problems.append(
            gettext("合計金額 %(total)s 円は %(max)s 円を超えています。")
            % {"total": f"{total:,}", "max": f"{MAX_TOTAL:,}"}
        )
    if problems:
        raise ZenginError(problems)

    trailer = f"8{len(transfers):06d}{total:012d}".ljust(RECORD_LENGTH)
    records = [header, *data, trailer, "9".ljust(RECORD_LENGTH)]
    for record in records:
        # Validation above keeps every field within its width and charset.
        if not _RECORD.fullmatch(record):
            raise AssertionError(f"Zengin record out of layout: {record!r}")
    # Every allowed character is one byte in cp932.
    return "".join(record + newline for record in records).encode("cp932")


def _header(originator: Originator, payment_date: date, problems: list[str]) -> str:
    who = gettext("委託者")
    if not re.fullmatch(r"[0-9]{10}", originator.code):
        problems.append(
            gettext("%(who)s: 委託者コード「%(code)s」は10桁の数字ではありません。")
            % {"who": who, "code": originator.code}
        )
    name = _kana(who, gettext("委託者名"), originator.name_kana, 40, problems)
    bank_branch, account = _account(
        who, originator, _ORIGINATOR_ACCOUNT_TYPES, problems
    )
    if not bank_business_day(payment_date):
        problems.append(
            gettext(
                "振込指定日 %(date)s は銀行の休業日です"
                "（土日・祝日・12月31日〜1月3日）。"
            )
            % {"date": f"{payment_date:%Y-%m-%d}"}
        )
    return "".join(
        [
            "1",  # データ区分: ヘッダー
            "21",  # 種別コード: 総合振込
            "0",  # コード区分: JIS
            originator.code,
            name.ljust(40),
            f"{payment_date:%m%d}",  # 振込指定日
            bank_branch,
            account,
            " " * 17,
        ]
    )


def _data(number: int, transfer: Transfer, problems: list[str]) -> str:
    who = gettext("%(number)s件目の振込（%(payee)s、支払通知 %(edi)s）") % {
        "number": number,
        "payee": transfer.payee_name_kana or gettext("受取人名なし"),
        "edi": transfer.edi or gettext("なし"),
    }
    name = _kana(who, gettext("受取人名"), transfer.payee_name_kana, 30, problems)
    bank_branch, account = _account(who, transfer, _PAYEE_ACCOUNT_TYPES, problems)
    if not _amount_valid(transfer.amount):
        problems.append(
            gettext(
                "%(who)s: 振込金額 %(amount)s 円は 1〜%(max)s 円の整数ではありません。"
            )
            % {"who": who, "amount": transfer.amount, "max": f"{MAX_AMOUNT:,}"}
        )
    if not transfer.edi:
        problems.append(
            gettext("%(who)s: EDI情報（支払通知番号）がありません。") % {"who": who}
        )
    elif not _EDI.fullmatch(transfer.edi):
        problems.append(
            gettext(
                "%(who)s: EDI情報「%(edi)s」は20文字以内の"
                "半角英大文字・数字・カナ・記号 ( ) - . にしてください。"
            )
            % {"who": who, "edi": transfer.edi}
        )
    return "".join(
        [
            "2",  # データ区分: データ
            bank_branch,
            "0000",  # 手形交換所番号: 未使用
            account,
            name.ljust(30),
            str(transfer.amount).zfill(10),
            "0",  # 新規コード: その他
            transfer.edi.ljust(20),
            "7",  # 振込指定区分: テレ振込
            "Y",  # 識別表示: 前の20桁はEDI情報
            " " * 7,
        ]
    )


def _amount_valid(amount: object) -> bool:
    return isinstance(amount, int) and 1 <= amount <= MAX_AMOUNT


def _account(
    who: str,
    account: Originator | Transfer,
    account_types: dict[str, str],
    problems: list[str],
) -> tuple[str, str]:
    """(金融機関番号・名・支店番号・名, 預金種目・口座番号) as written in the
    record, the names filled from the Zengin master when blank."""
    if not (account.bank_code or account.branch_code or account.account_number):
        problems.append(
            gettext("%(who)s: 口座（金融機関・支店・口座番号）がありません。")
            % {"who": who}
        )
        return "", ""
    bank = branch = None
    if not re.fullmatch(r"[0-9]{4}", account.bank_code):
        problems.append(
            gettext("%(who)s: 金融機関コード「%(code)s」は4桁の数字ではありません。")
            % {"who": who, "code": account.bank_code}
        )
    elif (bank := bank_lookup(account.bank_code)) is None:
        problems.append(
            gettext("%(who)s: 金融機関コード %(code)s は金融機関マスタにありません。")
            % {"who": who, "code": account.bank_code}
        )
    if not re.fullmatch(r"[0-9]{3}", account.branch_code):
        problems.append(
            gettext("%(who)s: 支店コード「%(code)s」は3桁の数字ではありません。")
            % {"who": who, "code": account.branch_code}
        )
    elif bank and (branch := branch_lookup(bank.code, account.branch_code)) is None:
        problems.append(
            gettext(
                "%(who)s: 支店コード %(code)s は"
                "%(bank)s（%(bank_code)s）の支店マスタにありません。"
            )
            % {
                "who": who,
                "code": account.branch_code,
                "bank": bank.name,
                "bank_code": bank.code,
            }
        )
    if account.account_type not in account_types:
        allowed = gettext("・").join(
            gettext("%(code)s（%(name)s）") % {"code": code, "name": name}
            for code, name in account_types.items()
        )
        problems.append(
            gettext(
                "%(who)s: 預金種目「%(type)s」は%(allowed)sのいずれかにしてください。"
            )
            % {"who": who, "type": account.account_type, "allowed": allowed}
        )
    if not re.fullmatch(r"[0-9]{1,7}", account.account_number):
        problems.append(
            gettext("%(who)s: 口座番号「%(number)s」は7桁以内の数字ではありません。")
            % {"who": who, "number": account.account_number}
        )
    bank_name = account.bank_name_kana or (bank.kana if bank else "")
    branch_name = account.branch_name_kana or (branch.kana if branch else "")
    return (
        account.bank_code
        + _kana(
            who, gettext("金融機関名"), bank_name, 15, problems, required=False
        ).ljust(15)
        + account.branch_code
        + _kana(
            who, gettext("支店名"), branch_name, 15, problems, required=False
        ).ljust(15),
        account.account_type + account.account_number.zfill(7),
    )


def _kana(
    who: str,
    field: str,
    text: str,
    width: int,
    problems: list[str],
    *,
    required: bool = True,
) -> str:
    """``text`` in Zengin characters cut to ``width`` (zengin.md §2.3)."""
    if not text.strip() and not required:
        return ""
    try:
        return holder_kana_normalize(text, max_length=width)
    except ValidationError as error:
        if error.code == "holder_required":
            problems.append(
                gettext("%(who)s: %(field)sがありません。")
                % {"who": who, "field": field}
            )
        else:
            problems.append(
                gettext(
                    "%(who)s: %(field)sに全銀データで使えない文字があります:"
                    " %(chars)s。"
                )
                % {"who": who, "field": field, "chars": error.params["chars"]}
            )
        return ""
