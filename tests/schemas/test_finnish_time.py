"""Times for people are written in Finnish time, with the offset that makes them exact."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import finnish_time


def test_a_summer_time_is_three_hours_ahead_of_utc() -> None:
    assert finnish_time(datetime(2026, 6, 18, 7, 0, tzinfo=UTC)) == "2026-06-18 10:00 +03:00"


def test_midnight_in_helsinki_in_winter_is_shown_on_its_own_day() -> None:
    assert finnish_time(datetime(2025, 12, 31, 22, 0, tzinfo=UTC)) == "2026-01-01 00:00 +02:00"
