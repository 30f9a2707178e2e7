"""Publishing: an event is validated before it is stored, and stored before Kafka sees it."""

from __future__ import annotations

import re

import pytest

from adapters.sdk import AdapterStore, InvalidEventError, LocalOutbox, Publisher
from schemas import Event, EventCodec, Pseudonymiser
from schemas.examples.journey import example_events
from tests.adapters.events import CODEC, KELA_OID, SECRET, SOTE_OID, client_code, referral


async def test_a_valid_event_is_stored_as_the_record_that_will_travel(store: AdapterStore) -> None:
    outbox = LocalOutbox(store)
    event = referral(client_code(1))
    record = await Publisher(outbox, CODEC, sender_oid=SOTE_OID).publish(event)
    stored = await outbox.unsent(10)
    assert [s.record for s in stored] == [record]
    assert stored[0].event_id == str(event.event_id)
    assert record == CODEC.encode(event)
    assert (await outbox.depth()).unsent == 1


async def test_an_event_that_breaks_the_contract_is_refused_and_nothing_stored(
    store: AdapterStore,
) -> None:
    outbox = LocalOutbox(store)
    tiny = EventCodec(Pseudonymiser(SECRET), max_event_bytes=100)
    with pytest.raises(InvalidEventError, match=r"breaks the event contract.*over the limit"):
        await Publisher(outbox, tiny, sender_oid=SOTE_OID).publish(referral(client_code(1)))
    assert (await outbox.depth()).unsent == 0


async def test_an_event_of_another_sender_is_refused_and_nothing_stored(
    store: AdapterStore,
) -> None:
    outbox = LocalOutbox(store)
    with pytest.raises(
        InvalidEventError, match=re.escape(f"this adapter publishes for {SOTE_OID}")
    ):
        await Publisher(outbox, CODEC, sender_oid=SOTE_OID).publish(
            referral(client_code(1), sender=KELA_OID)
        )
    assert (await outbox.depth()).unsent == 0


@pytest.mark.parametrize(
    "event",
    [event for _, event in example_events() if event.issued_by_router and event.sender == SOTE_OID],
    ids=lambda event: event.event_code,
)
async def test_an_event_only_the_router_issues_is_refused_and_nothing_stored(
    store: AdapterStore, event: Event
) -> None:
    outbox = LocalOutbox(store)
    with pytest.raises(InvalidEventError, match="issued by the Saattaja router itself"):
        await Publisher(outbox, CODEC, sender_oid=SOTE_OID).publish(event)
    assert (await outbox.depth()).unsent == 0


async def test_an_empty_outbox_has_depth_and_age_zero(store: AdapterStore) -> None:
    depth = await LocalOutbox(store).depth()
    assert (depth.unsent, depth.oldest_age_seconds) == (0, 0.0)
