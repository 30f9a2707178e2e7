"""An event's content digest: one event has one, however its Bundle was written."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Final

import pytest

from schemas import Event
from schemas.examples import example_codec, example_events

CODEC: Final = example_codec()
EVENTS: Final = [pytest.param(event, id=name) for name, event in example_events()]
CLIENTS: Final = ("150388-9127", "240795-934S")


@pytest.mark.parametrize("event", EVENTS)
def test_an_event_decoded_from_its_record_has_the_digest_it_was_sent_with(event: Event) -> None:
    assert CODEC.decode(CODEC.encode(event)).content_digest() == event.content_digest()


@pytest.mark.parametrize("event", EVENTS)
def test_a_bundle_written_with_other_spacing_and_key_order_gives_the_same_digest(
    event: Event,
) -> None:
    record = CODEC.encode(event)
    bundle = json.loads(record.value)
    rewritten = dataclasses.replace(
        record, value=json.dumps(bundle, indent=2, sort_keys=True).encode()
    )

    assert rewritten.value != record.value
    assert CODEC.decode(rewritten).content_digest() == event.content_digest()


@pytest.mark.parametrize("event", EVENTS)
def test_the_same_event_stamped_at_another_time_gives_the_same_digest(event: Event) -> None:
    # A retry stamped when it is sent is the same event again.
    later = event.model_copy(update={"occurred_at": event.occurred_at + timedelta(minutes=5)})

    assert later.content_digest() == event.content_digest()


@pytest.mark.parametrize("event", EVENTS)
def test_another_client_under_the_same_id_gives_another_digest(event: Event) -> None:
    other = event.model_copy(update={"client": next(c for c in CLIENTS if c != event.client)})

    assert other.event_id == event.event_id
    assert other.content_digest() != event.content_digest()
