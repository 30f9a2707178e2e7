"""Times in the contract: each with a zone, each one that UTC can express.

The stores keep every time in UTC; a time at the very edge of the calendar with an offset
(9999-12-31T23:00-05:00) has no UTC form, and storing it would fail on every attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, TypeAdapter

__all__ = ["EARLIEST_EVENT_TIME", "LATEST_EVENT_TIME", "MOMENTS", "EventTime", "Moment"]

EARLIEST_EVENT_TIME: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME: Final = datetime(3000, 1, 1, tzinfo=UTC)
"""The first moment after the years an event may be dated in."""


def _expressible_in_utc(moment: datetime) -> datetime:
    try:
        moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(
            f"{moment.isoformat()} has no UTC form (it falls outside the years 1-9999 in "
            "UTC): give a time within them, in UTC or with a smaller offset"
        ) from exc
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_expressible_in_utc)]
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


EventTime = Annotated[AwareDatetime, AfterValidator(_within_event_years)]
"""A time with a zone, in the years 1900-2999."""
