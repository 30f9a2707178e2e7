"""The rejection notice tells a sender which of its events was refused, and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import pytest

from schemas import (
    REJECTION_NOTICE_TYPE,
    ROUTER_SOURCE,
    InvalidHeadersError,
    RejectionNotice,
)
from schemas.examples import example_codec, journey_events

NOTICE: Final = RejectionNotice(
    rejected_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    recipient="1.2.246.10.2462460",
    rejected_event_id="16bbb00f-22f6-5a3d-a05e-b9b6dada0433",
    reason="value is not JSON",
    source_topic="saattaja.kela.outbox",
    source_partition=2,
    source_offset=41,
)


def test_notice_round_trips_through_its_record() -> None:
    assert RejectionNotice.decode(NOTICE.encode(b"key")) == NOTICE


def test_notice_without_a_readable_event_id_round_trips() -> None:
    notice = NOTICE.model_copy(update={"rejected_event_id": None})

    assert RejectionNotice.decode(notice.encode(None)) == notice


def test_notice_headers_name_the_router_and_the_notice_type() -> None:
    headers = dict(NOTICE.encode(b"key").headers)

    assert headers["ce_type"] == REJECTION_NOTICE_TYPE.encode()
    assert headers["ce_source"] == ROUTER_SOURCE.encode()
    assert headers["content-type"] == b"application/fhir+json"


def test_an_ordinary_event_is_not_read_as_a_notice() -> None:
    record = example_codec().encode(journey_events()[0][1])

    with pytest.raises(InvalidHeadersError, match="not a rejection notice"):
        RejectionNotice.decode(record)
