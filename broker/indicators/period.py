"""Reporting periods: Finnish calendar days turned into the UTC moments the tables hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from broker.indicators.errors import InvalidPeriodError

__all__ = ["HELSINKI", "ReportingPeriod"]

HELSINKI: Final = ZoneInfo("Europe/Helsinki")


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
    def of_days(cls, first: date, last: date, zone: ZoneInfo = HELSINKI) -> ReportingPeriod:
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
