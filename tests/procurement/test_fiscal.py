from datetime import date

import pytest

from procurement.fiscal import (
    closing_period_end,
    commitment_fiscal_year,
    fiscal_year_bounds,
    fiscal_year_of,
    in_closing_period,
    payable_fiscal_years,
)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 4, 1), 2026),
        (date(2027, 3, 31), 2026),
        (date(2027, 1, 15), 2026),
        (date(2026, 3, 31), 2025),
        (date(2026, 12, 31), 2026),
    ],
)
def test_the_fiscal_year_runs_april_to_march(day, year):
    assert fiscal_year_of(day) == year
    assert commitment_fiscal_year(commitment_date=day) == year


def test_bounds_and_closing_period():
    assert fiscal_year_bounds(2026) == (date(2026, 4, 1), date(2027, 3, 31))
    assert closing_period_end(2026) == date(2027, 5, 31)


@pytest.mark.parametrize(
    ("day", "years"),
    [
        (date(2027, 4, 1), (2026, 2027)),
        (date(2027, 5, 31), (2026, 2027)),
        (date(2027, 6, 1), (2027,)),
        (date(2027, 3, 31), (2026,)),
    ],
)
def test_the_old_year_is_still_paid_in_april_and_may(day, years):
    assert in_closing_period(day) is (len(years) == 2)
    assert payable_fiscal_years(day) == years
