"""Cells that spreadsheet programs read as text, never as a formula (CSV
injection, OWASP "CSV Injection"). Every CSV the portal writes passes each
cell through ``csv_cell``; the Django admin's exports use ``FormulaSafeCSV``.

Excel, LibreOffice and Google Sheets run a cell starting with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return before one) as a formula, and a
Japanese IME types the full-width ``＝＋－＠``, which some of them accept
too. Such a cell gets a leading ``'``, which spreadsheets treat as "text
follows". Numbers stay numbers, so that sums still work: a numeric value, or
text that is only a plain number such as ``-1000``, is no formula."""

import re
import unicodedata
from decimal import Decimal
from functools import cache

import tablib
from import_export.formats.base_formats import CSV

# U+2212 (minus sign, and what NFKC makes of ⁻ and ₋) is written as the
# full-width － in CP932.
_FORMULA_START = "=+-@\u2212"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@cache
def _ignorable(character: str) -> bool:
    """Spaces, control and invisible format characters a spreadsheet may
    skip before the first character it looks at."""
    return character.isspace() or unicodedata.category(character) in ("Cc", "Cf")


def formula_risk(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula: after any
    leading spaces or control characters, its first character is (or, as
    NFKC folds ``＝﹦＋﹢－﹣＠﹫`` and the like, stands for) ``=+-@``, or
    the minus sign ``−``; a leading tab or carriage return counts on its
    own. Plain numbers are safe."""
    if not text:
        return False
    # Most text starts with a character that is neither skipped nor a
    # formula's start: decided by that character alone (a long export's
    # thousands of cells).
    if not _ignorable(text[0]) and not _formula_start(text[0]):
        return False
    if _PLAIN_NUMBER.fullmatch(text):
        return False
    if text[0] in "\t\r":
        return True
    first = next((c for c in text if not _ignorable(c)), "")
    return bool(first) and _formula_start(first)


@cache
def _formula_start(character: str) -> bool:
    return unicodedata.normalize("NFKC", character)[:1] in _FORMULA_START


def csv_cell(value) -> str:
    """One CSV cell: empty for ``None``, numbers as they are, text with a
    leading ``'`` when a spreadsheet could run it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return text
    return f"'{text}" if formula_risk(text) else text


@cache
def _first_needs_check(character: str) -> bool:
    return _ignorable(character) or _formula_start(character)


def text_cell(text: str | None) -> str:
    """``csv_cell`` of text read from the database, in a long export's
    loop: most text is decided by its first character alone, without a
    call of ``formula_risk``."""
    if not text:
        return ""
    if not _first_needs_check(text[0]):
        return text
    return csv_cell(text)


class FormulaSafeCSV(CSV):
    """django-import-export's CSV with every cell (headers too) through
    ``csv_cell``. Its own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` only
    drops a leading ``=``; this covers the other characters and their
    full-width forms, and keeps what was typed."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(
            headers=[csv_cell(h) for h in dataset.headers] if dataset.headers else None
        )
        for row in dataset:
            safe.append([csv_cell(cell) for cell in row])
        return super().export_data(safe, **kwargs)
