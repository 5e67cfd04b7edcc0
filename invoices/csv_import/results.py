"""What parsing a CSV upload gives: the invoices it would create, the
problems found, each at the row and column Excel shows, and the error
``csv_import`` raises."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from invoices.services.drafts import LineInput


@dataclass(frozen=True)
class RowError:
    """One problem. ``row`` is the row as Excel numbers it (the header is
    row 1), ``None`` for the file as a whole; ``value`` is the cell as it
    is in the file; ``message`` says what is wrong and what to do."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.row == 1:
            return gettext("1行目（見出し）: %(message)s") % {"message": self.message}
        if self.column:
            return gettext("%(row)s行目「%(column)s」: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return gettext("%(row)s行目: %(message)s") % {
            "row": self.row,
            "message": self.message,
        }


@dataclass(frozen=True)
class ParsedInvoice:
    """An invoice the file would create, with its totals computed as screen
    entry computes them. ``buckets`` are (tax category label, taxable
    amount, tax) per tax category."""

    number: str
    connection_id: int
    municipality_name: str
    department_name: str
    fields: dict
    lines: tuple[LineInput, ...]
    rows: tuple[int, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    buckets: tuple[tuple[str, Decimal, Decimal], ...]


@dataclass(frozen=True)
class ParseResult:
    """``invoices`` are those without problems, in file order; the file can
    be imported only when there are no ``errors`` at all. ``notices`` say
    where a cell was read differently from how it was typed (a department
    code whose leading zeros Excel dropped); they do not keep the file from
    being imported."""

    encoding: str
    line_count: int
    invoices: tuple[ParsedInvoice, ...]
    errors: tuple[RowError, ...]
    notices: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class CsvImportError(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, errors):
        self.errors = tuple(errors)
        super().__init__(
            gettext("CSVに%(count)s件の誤りがあります。何も取り込んでいません。")
            % {"count": len(self.errors)}
        )
