"""What every bank file is read into: one ``Credit`` per incoming payment,
and ``BankFileError`` listing every row that could not be read."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Credit:
    """One incoming payment (入金). ``row`` is the record's or line's
    number in the file (1-based), as the messages name it."""

    row: int
    booking_date: date
    amount: int
    payer_name: str = ""
    edi: str = ""
    description: str = ""
    reference: str = ""


@dataclass(frozen=True)
class ParsedFile:
    """The credits of one file; ``source`` is ``zengin01``, ``zengin03``
    or ``csv``; ``skipped`` counts the rows that are no credit (payments
    out, cancellations)."""

    source: str
    credits: list[Credit]
    skipped: int = 0


class BankFileError(ValueError):
    """The file cannot be used; ``problems`` names each row and field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems
