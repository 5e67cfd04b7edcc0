import pytest
from django.core.exceptions import ValidationError

from municipality.validators import (
    corporate_check_digit,
    local_government_check_digit,
    normalize_identifier,
    validate_corporate_number,
    validate_local_government_code,
    validate_registration_number,
)


@pytest.mark.parametrize(
    ("body", "digit"),
    [
        ("120001168421", 7),  # XSERVER Inc., reference §2.2
        ("700110005901", 8),  # NTA's own example
        ("000020012131", 1),  # 苫小牧市
        ("810004773172", 7),  # a sole proprietor
        ("000020462039", 8),  # 鹿屋市
    ],
)
def test_corporate_check_digit_matches_published_numbers(body, digit):
    assert corporate_check_digit(body) == digit


@pytest.mark.parametrize(
    "number", ["T7120001168421", "T9011101097073", "T1700150007095", "T7810004773172"]
)
def test_real_registration_numbers_pass(number):
    validate_registration_number(number)


def test_registration_number_with_wrong_check_digit_says_so_in_japanese():
    with pytest.raises(ValidationError) as excinfo:
        validate_registration_number("T8120001168421")
    (error,) = excinfo.value.error_list
    assert error.code == "check_digit"
    assert "検査用数字" in error.message % error.params
    assert "T8120001168421" in error.message % error.params


@pytest.mark.parametrize(
    "value", ["7120001168421", "T712000116842", "T71200011684211", "X7120001168421"]
)
def test_registration_number_format_errors_explain_the_format(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_registration_number(value)
    (error,) = excinfo.value.error_list
    assert error.code == "format"
    assert "「T」に続けて13桁" in error.message


def test_registration_number_starting_with_zero_is_invalid():
    # The check digit is 1-9, so a leading 0 can never be right.
    with pytest.raises(ValidationError):
        validate_registration_number("T0120001168421")


def test_corporate_number_check_digit_is_verified():
    validate_corporate_number("7120001168421")
    with pytest.raises(ValidationError, match="検査用数字"):
        validate_corporate_number("6120001168421")
    with pytest.raises(ValidationError, match="13桁"):
        validate_corporate_number("712000116842")


@pytest.mark.parametrize(
    ("body", "digit"),
    [("46203", 9), ("13101", 6), ("01100", 2), ("46218", 7), ("01000", 6)],
)
def test_local_government_check_digit(body, digit):
    assert local_government_check_digit(body) == digit


def test_local_government_code_is_verified():
    validate_local_government_code("462039")
    with pytest.raises(ValidationError, match="検査数字"):
        validate_local_government_code("462038")
    with pytest.raises(ValidationError, match="6桁"):
        validate_local_government_code("46203")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Ｔ７１２０００１１６８４２１", "T7120001168421"),
        ("t7120-0011-68421", "T7120001168421"),
        (" T 7120001168421 ", "T7120001168421"),
        ("４６２０３９", "462039"),
        ("T7120−001168421", "T7120001168421"),
    ],
)
def test_identifiers_are_normalized_from_full_width_and_separators(raw, normalized):
    assert normalize_identifier(raw) == normalized
