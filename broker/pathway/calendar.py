"""Working days in Finland: weekdays that are not public holidays (nor Midsummer or Christmas Eve).

A referral is due in working days, counted in Finnish time: a referral sent on Friday
afternoon before Midsummer is due a full five working days later, not on Wednesday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays

from schemas.fhir import FINNISH_TIME

__all__ = ["WorkingCalendar"]

_SATURDAY = 5


class WorkingCalendar:
    """Adds working days to a moment, keeping its time of day in Finnish time."""

    __slots__ = ("_holidays",)

    def __init__(self) -> None:
        # The library covers the moving feasts (Easter, Midsummer, All Saints' Day) and
        # the de facto days off (Midsummer Eve, Christmas Eve) that Finnish offices keep.
        self._holidays = holidays.country_holidays("FI")

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is not a Finnish public holiday."""
        return day.weekday() < _SATURDAY and day not in self._holidays

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday on ``day``, if it is one."""
        name = self._holidays.get(day)
        return str(name) if name is not None else None

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` working days after ``start``, at the same Finnish clock time.

        A start on a day off counts from the beginning of the next working day, so that a
        referral sent on Saturday has the whole of its working days.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        local = start.astimezone(FINNISH_TIME)
        day = local.date()
        if not self.is_working_day(day):
            while not self.is_working_day(day):
                day += timedelta(days=1)
            local = datetime.combine(day, datetime.min.time(), FINNISH_TIME)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        moment = datetime.combine(day, local.timetz().replace(tzinfo=None), FINNISH_TIME)
        return moment.astimezone(start.tzinfo)
