"""Reporting periods: Finnish calendar days turned into the UTC moments the tables hold.

``saattaja indicators`` reports whole calendar quarters only (``CalendarQuarter``): two
reports of overlapping periods differ by the clients of the days one has and the other
lacks, who may be fewer than the suppression threshold. Quarters never overlap, so no
report can be subtracted from another.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from broker.indicators.errors import InvalidPeriodError
from schemas.fhir import FINNISH_TIME

__all__ = ["CalendarQuarter", "ReportingPeriod"]


@dataclass(frozen=True, slots=True)
class ReportingPeriod:
    """The half-open interval [since, until) of time-zone-aware moments."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        for name, moment in (("since", self.since), ("until", self.until)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidPeriodError(
                    f"{name}={moment.isoformat()} has no time zone: give an aware datetime, "
                    "e.g. with tzinfo=UTC, so that the period means the same on every machine"
                )
        if self.since >= self.until:
            raise InvalidPeriodError(
                f"the period since {self.since.isoformat()} until {self.until.isoformat()} "
                "is empty: since must come before until"
            )

    @classmethod
    def of_days(cls, first: date, last: date, zone: ZoneInfo = FINNISH_TIME) -> ReportingPeriod:
        """From the start of ``first`` to the end of ``last``, both calendar days in ``zone``.

        Days, not 24-hour spans: a period that crosses a daylight-saving change is an hour
        longer or shorter, as the organisations' own calendars are.
        """
        if first > last:
            raise InvalidPeriodError(
                f"the first day {first.isoformat()} is after the last day {last.isoformat()}: "
                "give the earlier day first"
            )
        since = datetime.combine(first, time(), zone)
        until = datetime.combine(last + timedelta(days=1), time(), zone)
        return cls(since, until)


@dataclass(frozen=True, slots=True)
class CalendarQuarter:
    """A quarter of a calendar year: January-March is 1, October-December is 4."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise InvalidPeriodError(
                f"quarter {self.number} of {self.year}: a year has quarters 1 to 4"
            )
        # The last year's quarters would end past the last day a date can hold.
        if not date.min.year <= self.year < date.max.year:
            raise InvalidPeriodError(
                f"year {self.year}: give a year from {date.min.year} to {date.max.year - 1}"
            )

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @classmethod
    def spanning(cls, first: date, last: date) -> CalendarQuarter:
        """The quarter whose first and last days these are; InvalidPeriodError if none."""
        quarter = cls(first.year, (first.month - 1) // 3 + 1)
        if (first, last) != (quarter.first_day, quarter.last_day):
            raise InvalidPeriodError(
                f"{first.isoformat()} to {last.isoformat()} is not one calendar quarter: only "
                "whole quarters are reported, so that no report can be subtracted from "
                f"another; e.g. --since {quarter.first_day.isoformat()} --until "
                f"{quarter.last_day.isoformat()}, or --quarter {quarter}"
            )
        return quarter

    @property
    def first_day(self) -> date:
        """The quarter's first calendar day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        """The quarter's last calendar day."""
        month = 3 * self.number
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def period(self, zone: ZoneInfo = FINNISH_TIME) -> ReportingPeriod:
        """The quarter's days in ``zone``, from the first day's start to the last day's end."""
        return ReportingPeriod.of_days(self.first_day, self.last_day, zone)
