"""The municipal fiscal year (会計年度, 地方自治法208条): April to March,
named by the calendar year it starts in. Payments for a year's
commitments may still be made in its 出納整理期間 (April 1 to May 31 of the
next calendar year, 地方自治法235条の5); no new commitment may be made for
a year once it has ended."""

from datetime import date

FIRST_MONTH = 4
# The 出納整理期間 ends on May 31 of the following calendar year.
CLOSING_LAST_MONTH = 5


def fiscal_year_of(day: date) -> int:
    """The 会計年度 a date falls in: 2027-03-31 → 2026, 2027-04-01 → 2027."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """The first and the last day of the 会計年度."""
    return date(fiscal_year, FIRST_MONTH, 1), date(fiscal_year + 1, 3, 31)


def closing_period_end(fiscal_year: int) -> date:
    """The last day of the year's 出納整理期間 (May 31 after the year)."""
    return date(fiscal_year + 1, CLOSING_LAST_MONTH, 31)


def in_closing_period(day: date) -> bool:
    """Whether ``day`` lies in the 出納整理期間 of the year before."""
    return FIRST_MONTH <= day.month <= CLOSING_LAST_MONTH


def payable_fiscal_years(day: date) -> tuple[int, ...]:
    """The 会計年度 whose commitments may be paid on ``day``: the current
    one, and in April and May also the year before (出納整理期間)."""
    current = fiscal_year_of(day)
    if in_closing_period(day):
        return (current - 1, current)
    return (current,)


def commitment_fiscal_year(*, commitment_date: date) -> int:
    """The 会計年度 of a commitment (支出負担行為): the year of its date.
    Its invoices and payments belong to the same year, even when they are
    made in the 出納整理期間."""
    return fiscal_year_of(commitment_date)
