"""The ends of a FHIR Period as moments: a calendar date is a Finnish day, an end includes itself.

FHIR lets a Period's start and end be a year, a month, a date or a date and time, and says
that the end includes every time that matches it at its precision: a period ending
2026-12-31 holds through that whole day, one ending 2026-12-31T12:00:00+02:00 through
12:00:00.999. The contract keeps an end as the first moment after it, which compares
without knowing the precision it was written with; a date without a time is a day of the
Finnish calendar (Europe/Helsinki), where every organisation of the contract is.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from schemas.echo import echoed
from schemas.moments import MOMENTS

__all__ = [
    "FINNISH_TIME",
    "first_moment_after",
    "first_moment_of",
    "inclusive_end",
    "last_whole_day",
]

FINNISH_TIME: Final = ZoneInfo("Europe/Helsinki")
"""The zone of a date written without a time."""

_CALENDAR: Final = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_FRACTION: Final = re.compile(r"T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.([0-9]+))?")
_MICROSECOND: Final = timedelta(microseconds=1)


def first_moment_of(text: str) -> datetime:
    """The first moment ``text`` (a FHIR dateTime) covers; ValueError when it is none."""
    calendar = _CALENDAR.fullmatch(text)
    if calendar is None:
        return _moment(text)
    first, _ = _calendar_span(*calendar.groups())
    return first


def first_moment_after(text: str) -> datetime:
    """The first moment after all that ``text`` (a FHIR dateTime) covers, as a Period's end."""
    calendar = _CALENDAR.fullmatch(text)
    if calendar is not None:
        _, after = _calendar_span(*calendar.groups())
        return after
    moment = _moment(text)
    fraction = _FRACTION.search(text)
    digits = len(fraction.group(1) or "") if fraction is not None else 0
    # datetime keeps microseconds: a finer end is already cut to the microsecond it is in.
    unit = timedelta(seconds=10**-digits) if digits < 6 else _MICROSECOND
    try:
        return MOMENTS.validate_python(moment + unit)
    except (OverflowError, ValidationError) as exc:
        raise ValueError(f"{text} ends where UTC has no time") from exc


def inclusive_end(after: datetime) -> str:
    """The FHIR text of a Period's end whose first moment after it is ``after``."""
    day = last_whole_day(after)
    if day is not None:
        return day.isoformat()
    return (after - _MICROSECOND).isoformat(timespec="microseconds")


def last_whole_day(after: datetime) -> date | None:
    """The Finnish day a period ending just before ``after`` ends with, when ``after`` is a
    Finnish midnight; None when the period ends within a day."""
    local = after.astimezone(FINNISH_TIME)
    if local.time() != time(0):
        return None
    return local.date() - timedelta(days=1)


def _moment(text: str) -> datetime:
    try:
        return MOMENTS.validate_python(text)
    except ValidationError as exc:
        raise ValueError(f"{echoed(text)} is not a date and time with a time zone") from exc


def _calendar_span(year: str, month: str | None, day: str | None) -> tuple[datetime, datetime]:
    try:
        first = date(int(year), int(month or 1), int(day or 1))
        if day is not None:
            after = first + timedelta(days=1)
        elif month is not None:
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            after = date(first.year + 1, 1, 1)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{year}-{month}-{day} is no day of the calendar") from exc
    return _midnight(first), _midnight(after)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=FINNISH_TIME)
