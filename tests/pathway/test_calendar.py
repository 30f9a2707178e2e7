"""Finnish working days: weekends and public holidays skipped, Finnish clock time kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from broker.pathway import WorkingCalendar

FINLAND = ZoneInfo("Europe/Helsinki")
CALENDAR = WorkingCalendar()


def finnish(year: int, month: int, day: int, hour: int = 9, minute: int = 30) -> datetime:
    """A moment on the Finnish clock."""
    return datetime(year, month, day, hour, minute, tzinfo=FINLAND)


def test_a_working_day_is_added_on_the_next_weekday() -> None:
    tuesday = finnish(2026, 3, 3)
    assert CALENDAR.add_working_days(tuesday, 1) == finnish(2026, 3, 4)


def test_the_weekend_is_skipped() -> None:
    friday = finnish(2026, 3, 6)
    assert CALENDAR.add_working_days(friday, 1) == finnish(2026, 3, 9)


@pytest.mark.parametrize(
    ("before", "after", "holiday"),
    [
        (finnish(2026, 6, 18), finnish(2026, 6, 22), "Midsummer Eve, Friday 19 June 2026"),
        (finnish(2025, 12, 23), finnish(2025, 12, 29), "Christmas Eve to Boxing Day 2025"),
        (finnish(2026, 4, 2), finnish(2026, 4, 7), "Good Friday and Easter Monday 2026"),
        (finnish(2026, 5, 13), finnish(2026, 5, 15), "Ascension Day, Thursday 14 May 2026"),
        (finnish(2027, 12, 3), finnish(2027, 12, 7), "Independence Day, Monday 6 December 2027"),
        (finnish(2026, 4, 30), finnish(2026, 5, 4), "May Day, Friday 1 May 2026"),
    ],
    ids=["midsummer-eve", "christmas", "easter", "ascension", "independence-day", "may-day"],
)
def test_finnish_holidays_are_skipped(before: datetime, after: datetime, holiday: str) -> None:
    assert CALENDAR.add_working_days(before, 1) == after, holiday


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 6, 19), "Midsummer Eve"),
        (date(2026, 6, 20), "Midsummer Day"),
        (date(2025, 12, 24), "Christmas Eve"),
        (date(2025, 12, 25), "Christmas Day"),
        (date(2025, 12, 26), "Second Day of Christmas"),
        (date(2026, 4, 3), "Good Friday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2026, 5, 14), "Ascension Day"),
        (date(2027, 12, 6), "Independence Day"),
        (date(2026, 5, 1), "May Day"),
    ],
)
def test_holidays_are_days_off_with_their_name(day: date, name: str) -> None:
    assert not CALENDAR.is_working_day(day)
    assert CALENDAR.holiday_name(day) == name


def test_an_ordinary_weekday_has_no_holiday_name() -> None:
    assert CALENDAR.is_working_day(date(2026, 3, 4))
    assert CALENDAR.holiday_name(date(2026, 3, 4)) is None


def test_finnish_clock_time_is_kept_into_summer_time() -> None:
    # Summer time begins on Sunday 29 March 2026: 09:30 is 07:30 UTC before, 06:30 after.
    friday = datetime(2026, 3, 27, 7, 30, tzinfo=UTC)
    assert CALENDAR.add_working_days(friday, 1) == datetime(2026, 3, 30, 6, 30, tzinfo=UTC)


def test_finnish_clock_time_is_kept_into_winter_time() -> None:
    # Summer time ends on Sunday 25 October 2026: 09:30 is 06:30 UTC before, 07:30 after.
    friday = datetime(2026, 10, 23, 6, 30, tzinfo=UTC)
    assert CALENDAR.add_working_days(friday, 1) == datetime(2026, 10, 26, 7, 30, tzinfo=UTC)


def test_the_result_is_in_the_time_zone_of_the_start() -> None:
    start = datetime(2026, 3, 3, 7, 30, tzinfo=UTC)
    assert CALENDAR.add_working_days(start, 2).tzinfo is UTC


def test_a_start_on_a_weekend_counts_from_the_beginning_of_the_next_working_day() -> None:
    saturday_afternoon = finnish(2026, 3, 7, hour=15)
    assert CALENDAR.add_working_days(saturday_afternoon, 1) == finnish(2026, 3, 10, 0, 0)


def test_a_start_on_a_holiday_counts_from_the_beginning_of_the_next_working_day() -> None:
    midsummer_eve = finnish(2026, 6, 19, hour=14)
    assert CALENDAR.add_working_days(midsummer_eve, 5) == finnish(2026, 6, 29, 0, 0)


def test_zero_days_from_a_working_day_is_the_same_moment() -> None:
    wednesday = finnish(2026, 3, 4, hour=16)
    assert CALENDAR.add_working_days(wednesday, 0) == wednesday


def test_zero_days_from_a_day_off_is_the_beginning_of_the_next_working_day() -> None:
    sunday = finnish(2026, 3, 8, hour=20)
    assert CALENDAR.add_working_days(sunday, 0) == finnish(2026, 3, 9, 0, 0)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative, got -1"):
        CALENDAR.add_working_days(finnish(2026, 3, 4), -1)
