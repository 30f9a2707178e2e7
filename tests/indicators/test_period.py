"""Calendar quarters: the only periods ``saattaja indicators`` reports."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from broker.indicators import CalendarQuarter, InvalidPeriodError
from schemas.fhir import FINNISH_TIME


def test_the_four_quarters_cover_a_year_without_overlapping() -> None:
    quarters = [CalendarQuarter(2024, number).period() for number in range(1, 5)]
    assert quarters[0].since == datetime(2024, 1, 1, tzinfo=FINNISH_TIME)
    assert quarters[-1].until == datetime(2025, 1, 1, tzinfo=FINNISH_TIME)
    assert all(earlier.until == later.since for earlier, later in itertools.pairwise(quarters))


def test_a_quarter_ends_on_the_last_day_of_its_third_month() -> None:
    assert [CalendarQuarter(2024, number).last_day for number in range(1, 5)] == [
        date(2024, 3, 31),
        date(2024, 6, 30),
        date(2024, 9, 30),
        date(2024, 12, 31),
    ]


def test_a_quarter_is_written_as_year_and_number() -> None:
    assert str(CalendarQuarter(2025, 3)) == "2025-Q3"


@pytest.mark.parametrize(("year", "number"), [(2025, 0), (2025, 5), (0, 1), (9999, 4)])
def test_a_quarter_that_no_calendar_has_is_refused(year: int, number: int) -> None:
    with pytest.raises(InvalidPeriodError):
        CalendarQuarter(year, number)
