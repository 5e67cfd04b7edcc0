"""Japanese public identifiers: normalisation and check digits.

- 法人番号 (corporate number): 13 digits, the first a check digit
  (``../shared/reference/jp-invoice-law.md`` §2.2, NTA formula).
- 適格請求書発行事業者登録番号 (registration number): ``T`` + 13 digits with
  the same check digit, for corporations and sole proprietors alike (§2.3).
- 全国地方公共団体コード (local government code): 5 digits and a check digit
  (weights 6 to 2, modulus 11).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# Separators people type inside numbers: spaces, hyphens and their
# full-width and dash-like look-alikes (NFKC leaves some of them alone).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー]")


def normalize_identifier(value: str) -> str:
    """Full-width to half-width (NFKC), separators removed, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def corporate_check_digit(body: str) -> int:
    """Check digit for the 12-digit body of a 法人番号 or 登録番号."""
    digits = [int(c) for c in reversed(body)]
    total = sum(d * (1 if i % 2 == 0 else 2) for i, d in enumerate(digits))
    return 9 - total % 9


def _corporate_digits_valid(digits: str) -> bool:
    return int(digits[0]) == corporate_check_digit(digits[1:])


def validate_corporate_number(value: str) -> None:
    if not re.fullmatch(r"\d{13}", value):
        raise ValidationError(
            gettext(
                "法人番号は13桁の半角数字で入力してください（例: 7120001168421）。"
            ),
            code="format",
        )
    if not _corporate_digits_valid(value):
        raise ValidationError(
            gettext(
                "法人番号 %(value)s は検査用数字（先頭の1桁）が一致しません。"
                "国税庁法人番号公表サイトで番号を確認してください。"
            ),
            code="check_digit",
            params={"value": value},
        )


def validate_registration_number(value: str) -> None:
    if not re.fullmatch(r"T\d{13}", value):
        raise ValidationError(
            gettext(
                "登録番号は「T」に続けて13桁の数字で入力してください"
                "（例: T7120001168421）。"
            ),
            code="format",
        )
    if not _corporate_digits_valid(value[1:]):
        raise ValidationError(
            gettext(
                "登録番号 %(value)s は検査用数字（Tの次の1桁）が一致しません。"
                "国税庁の適格請求書発行事業者公表サイトで番号を確認してください。"
            ),
            code="check_digit",
            params={"value": value},
        )


def local_government_check_digit(body: str) -> int:
    """Check digit for the 5-digit body of a 全国地方公共団体コード."""
    total = sum(int(d) * w for d, w in zip(body, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def validate_local_government_code(value: str) -> None:
    if not re.fullmatch(r"\d{6}", value):
        raise ValidationError(
            gettext(
                "全国地方公共団体コードは6桁の半角数字で入力してください"
                "（例: 462039）。"
            ),
            code="format",
        )
    if int(value[5]) != local_government_check_digit(value[:5]):
        raise ValidationError(
            gettext(
                "全国地方公共団体コード %(value)s は検査数字（6桁目）が一致しません。"
                "総務省の全国地方公共団体コード一覧で確認してください。"
            ),
            code="check_digit",
            params={"value": value},
        )
