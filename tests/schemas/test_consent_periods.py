"""A consent's period as FHIR writes it: a date is a Finnish day; an end includes itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import pytest

from consent.decisions import ConsentStatus
from schemas import ConsentGranted, InvalidBundleError
from schemas.examples import example_codec, journey_events
from tests.bundles import with_bundle
from tests.consent.builders import consents, grant

CODEC: Final = example_codec()
CONSENT: Final = CODEC.encode(dict(journey_events())["03-consent-kela-employment.json"])
WINTER: Final = timezone(timedelta(hours=2))
SUMMER: Final = timezone(timedelta(hours=3))


def _with_period(**ends: str) -> ConsentGranted:
    def edit(bundle: dict[str, Any]) -> None:
        bundle["entry"][1]["resource"]["provision"]["period"] = ends

    event = CODEC.decode(with_bundle(CONSENT, edit))
    assert isinstance(event, ConsentGranted)
    return event


def test_an_end_date_holds_through_that_whole_day_in_finland() -> None:
    event = _with_period(end="2026-12-31")
    assert event.valid_until == datetime(2027, 1, 1, tzinfo=WINTER)


def test_a_consent_ending_on_a_date_is_active_late_that_evening_and_expired_after_it() -> None:
    ending = grant("C-1", valid_until=_with_period(end="2026-12-31").valid_until)
    recorded = consents((ending, datetime(2026, 3, 2, tzinfo=UTC)))
    evening = recorded.state_of("C-1", datetime(2026, 12, 31, 23, 30, tzinfo=WINTER))
    after = recorded.state_of("C-1", datetime(2027, 1, 1, 0, 0, tzinfo=WINTER))
    assert evening is not None
    assert evening.status == ConsentStatus.ACTIVE
    assert after is not None
    assert after.status == ConsentStatus.EXPIRED


def test_a_summer_end_date_ends_at_finnish_summer_midnight() -> None:
    assert _with_period(end="2026-07-31").valid_until == datetime(2026, 8, 1, tzinfo=SUMMER)


@pytest.mark.parametrize(
    ("end", "after"),
    [
        ("2026-12", datetime(2027, 1, 1, tzinfo=WINTER)),
        ("2026", datetime(2027, 1, 1, tzinfo=WINTER)),
        ("2026-02", datetime(2026, 3, 1, tzinfo=WINTER)),
    ],
)
def test_an_end_month_or_year_holds_through_the_whole_of_it(end: str, after: datetime) -> None:
    assert _with_period(end=end).valid_until == after


@pytest.mark.parametrize(
    ("end", "after"),
    [
        ("2026-12-31T23:59:59+02:00", datetime(2027, 1, 1, tzinfo=WINTER)),
        ("2026-12-31T12:00:00.5+02:00", datetime(2026, 12, 31, 12, 0, 0, 600_000, tzinfo=WINTER)),
        ("2026-12-31T12:00:00.250+02:00", datetime(2026, 12, 31, 12, 0, 0, 251_000, tzinfo=WINTER)),
    ],
)
def test_an_end_time_holds_through_every_moment_it_matches_at_its_precision(
    end: str, after: datetime
) -> None:
    assert _with_period(end=end).valid_until == after


def test_a_start_date_holds_from_the_first_moment_of_that_day_in_finland() -> None:
    event = _with_period(start="2026-03-01", end="2026-12-31")
    assert event.valid_from == datetime(2026, 3, 1, tzinfo=WINTER)


@pytest.mark.parametrize("end", ["0001-01-01T00:00:00+02:00", "9999-12-31"])
def test_an_end_utc_cannot_express_is_refused_saying_how_to_write_one(end: str) -> None:
    with pytest.raises(
        InvalidBundleError, match=rf"period\.end is '{re.escape(end)}': expected a date \(2026"
    ):
        _with_period(end=end)


@pytest.mark.parametrize(
    "valid_until",
    [
        datetime(2027, 1, 1, tzinfo=WINTER),
        datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 12, 30, 15, 123_456, tzinfo=WINTER),
        datetime(2026, 12, 31, 12, 0, tzinfo=SUMMER),
    ],
)
def test_a_consents_end_is_read_back_as_the_moment_it_was_made_with(valid_until: datetime) -> None:
    event = grant("C-1", valid_until=valid_until)
    decoded = CODEC.decode(CODEC.encode(event))
    assert isinstance(decoded, ConsentGranted)
    assert decoded.valid_until == valid_until


def test_an_end_at_finnish_midnight_is_written_as_the_last_day_it_holds() -> None:
    record = CODEC.encode(grant("C-1", valid_until=datetime(2027, 1, 1, tzinfo=WINTER)))
    assert b'"end":"2026-12-31"' in record.value
