"""One escape for every CSV cell: text a spreadsheet could run as a formula
gets a leading ``'``, full-width and look-alike forms included; numbers
stay numbers so that sums still work."""

from datetime import date
from decimal import Decimal

import pytest
import tablib
from django.test import override_settings

from accounts.spreadsheets import FormulaSafeCSV, csv_cell, formula_risk

FORMULAS = [
    '=HYPERLINK("http://example.invalid/","x")',
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\t1",
    "\r1",
    "＝1+1",  # full-width, as a Japanese IME types them
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    "﹦1+1",  # small form variants
    "﹢1+1",
    "﹣1+1",
    "﹫SUM(A1)",
    "−1+1",  # U+2212, which CP932 writes as the full-width －
    " =1+1",  # spaces before
    "\u3000=1+1",
    "\n=1+1",
    "\u200b=1+1",  # an invisible character before
    "\ufeff=1+1",
    "-",
    "-1,000",
    "-1e3",
]
TEXT = [
    "",
    "株式会社テスト商事",
    "A&B商事",
    "請求書 =1+1",
    "T1234567890123",
    "2026-11-30",
    "1.5",
    "1200",
    "-1000",
    "-0.5",
    "'=already quoted",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_a_leading_quote(text):
    assert formula_risk(text)
    assert csv_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", TEXT)
def test_other_text_and_plain_numbers_stay_as_they_are(text):
    assert not formula_risk(text)
    assert csv_cell(text) == text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("-1000"), "-1000"),
        (-1000, "-1000"),
        (Decimal("4500"), "4500"),
        (0, "0"),
        (None, ""),
        (date(2026, 11, 30), "2026-11-30"),
    ],
)
def test_numbers_stay_numeric_so_sums_still_work(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.parametrize("escape_setting", [True, False])
def test_the_admin_format_escapes_every_cell_and_header(escape_setting):
    dataset = tablib.Dataset(headers=["＝名前", "金額"])
    dataset.append(["＋1+1", "-1000"])
    dataset.append(["@SUM(A1)", "1200"])
    with override_settings(IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT=escape_setting):
        text = FormulaSafeCSV().export_data(dataset)
    assert text.splitlines() == ["'＝名前,金額", "'＋1+1,-1000", "'@SUM(A1),1200"]
