"""Times in the contract: each with a zone, each one that UTC can express.

The stores keep every time in UTC; a time at the very edge of the calendar with an offset
(9999-12-31T23:00-05:00) has no UTC form, and storing it would fail on every attempt.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, TypeAdapter

__all__ = ["EARLIEST_EVENT_TIME", "LATEST_EVENT_TIME", "MOMENTS", "EventTime", "Moment"]

EARLIEST_EVENT_TIME: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME: Final = datetime(3000, 1, 1, tzinfo=UTC)
"""The first moment after the years an event may be dated in."""

# RFC 3339's date-time, which JSON Schema's format and CloudEvents' time name. pydantic
# alone also reads a Unix time ('1770106500'), a space for the T, a time without seconds,
# a comma before the fraction and an offset without its colon, all of which a validator
# that asserts the format refuses. [0-9], not \d: Python's \d takes any Unicode digit.
_RFC_3339: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC_3339_TEXT: Final = re.compile(_RFC_3339)


def _written_as_rfc_3339(value: Any) -> Any:
    # A number would be read as a Unix time, in seconds or milliseconds as its size says.
    # ValueError, not TypeError: pydantic reports only the first as the field's error.
    if isinstance(value, int | float):
        raise ValueError(  # noqa: TRY004
            "expected an RFC 3339 date and time as text, not a number, such as "
            "2026-02-03T10:15:00+02:00"
        )
    # fullmatch, not match: '$' also matches before a final line feed.
    if isinstance(value, str) and not _RFC_3339_TEXT.fullmatch(value):
        raise ValueError(
            "expected an RFC 3339 date and time, with seconds and an offset, such as "
            "2026-02-03T10:15:00+02:00 or 2026-02-03T08:15:00Z"
        )
    return value


_AS_RFC_3339: Final = (
    BeforeValidator(_written_as_rfc_3339),
    Field(json_schema_extra={"pattern": _RFC_3339}),
)


def _expressible_in_utc(moment: datetime) -> datetime:
    try:
        moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(
            f"{moment.isoformat()} has no UTC form (it falls outside the years 1-9999 in "
            "UTC): give a time within them, in UTC or with a smaller offset"
        ) from exc
    return moment


Moment = Annotated[AwareDatetime, *_AS_RFC_3339, AfterValidator(_expressible_in_utc)]
"""A time with a zone that UTC can express, as the stores keep it."""

MOMENTS: Final[TypeAdapter[datetime]] = TypeAdapter(Moment)
"""Validates a Moment outside a model: ``MOMENTS.validate_python(text or datetime)``."""


def _within_event_years(moment: datetime) -> datetime:
    # A sender's placeholder (9999-12-31, 0001-01-01) is not when anything happened, and
    # the router counts working days from an event's time: past the year 9999 that
    # arithmetic fails, and the event would hold up every later one of its partition.
    if not EARLIEST_EVENT_TIME <= moment < LATEST_EVENT_TIME:
        raise ValueError(
            f"{moment.isoformat()} is outside the years 1900-2999 that an event may be "
            "dated in: send when the event happened, not a placeholder date"
        )
    return moment


EventTime = Annotated[AwareDatetime, *_AS_RFC_3339, AfterValidator(_within_event_years)]
"""A time with a zone, in the years 1900-2999."""
