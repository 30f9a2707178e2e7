"""The relay: what the publisher accepted reaches the outbox topic in order, whatever Kafka does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import pytest

from adapters.sdk import AdapterStore, LocalOutbox, OutboxRelay, Publisher, RetryPolicy
from broker.embedded import EmbeddedBroker, free_port
from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.topics import outbox_topic
from schemas import CONTENT_TYPE, Event, oid_urn
from tests.adapters.events import CODEC, SOTE_OID, client_code, referral
from tests.adapters.kafka import create_organisation_topics, fresh_organisation
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic

pytestmark = pytest.mark.kafka

_WITHIN: Final = 60.0


@asynccontextmanager
async def relaying(
    state_file: Path, connection: KafkaConnection, organisation: Organisation, *, start: bool = True
) -> AsyncIterator[tuple[Publisher, LocalOutbox, OutboxRelay]]:
    """A publisher and a relay over one state file, as an adapter process has them."""
    store = await AdapterStore.open(state_file)
    outbox = LocalOutbox(store)
    relay = OutboxRelay(
        outbox,
        connection,
        outbox_topic(organisation.id),
        retry=RetryPolicy(None, 0.1, 0.5),
        batch_size=4,
        request_timeout_ms=2_000,
        keep_sent_seconds=3_600,
    )
    if start:
        relay.start()
    try:
        yield Publisher(outbox, CODEC, sender_oid=SOTE_OID), outbox, relay
    finally:
        await relay.stop()
        await store.close()


async def wait_for_topic(connection: KafkaConnection, topic: str, count: int) -> list[Any]:
    holder: list[Any] = []

    async def enough() -> bool:
        holder[:] = await read_topic(connection, topic)
        return len(holder) >= count

    await eventually(enough, within=_WITHIN, what=f"{count} records in {topic}")
    return holder


def ids_per_key(records: Sequence[Any]) -> dict[bytes, list[str]]:
    """Event ids per client in topic order; a repeat is dropped, as receivers drop it."""
    per_key: dict[bytes, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event_id = dict(record.headers)["ce_id"].decode()
        if event_id not in per_key[record.key]:
            per_key[record.key].append(event_id)
    return dict(per_key)


def expected_per_key(events: Sequence[Event]) -> dict[bytes, list[str]]:
    per_key: dict[bytes, list[str]] = defaultdict(list)
    for event in events:
        per_key[CODEC.encode(event).key].append(str(event.event_id))
    return dict(per_key)


async def test_published_events_arrive_with_cloudevents_headers_and_the_pseudonym_key(
    kafka_bootstrap: str, state_file: Path
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation()
    await create_organisation_topics(connection, organisation)
    event = referral(client_code(1))
    async with relaying(state_file, connection, organisation) as (publisher, outbox, _):
        sent = await publisher.publish(event)
        [record] = await wait_for_topic(connection, outbox_topic(organisation.id), 1)
        await eventually(
            lambda: _unsent_is(outbox, 0), within=_WITHIN, what="the outbox marked sent"
        )
    headers = dict(record.headers)
    assert record.key == sent.key == CODEC.pseudonymiser.pseudonym(event.client).encode()
    assert list(record.headers) == list(sent.headers)
    assert record.value == sent.value
    assert headers["ce_id"] == str(event.event_id).encode()
    assert headers["ce_source"] == oid_urn(SOTE_OID).encode()
    assert headers["ce_type"] == b"fi.saattaja.referral.requested.v1"
    assert headers["ce_subject"] == record.key
    assert headers["content-type"] == CONTENT_TYPE.encode()


async def test_a_new_publisher_on_the_same_file_sends_what_the_old_one_had_not(
    kafka_bootstrap: str, state_file: Path
) -> None:
    connection = KafkaConnection(kafka_bootstrap)
    organisation = fresh_organisation()
    await create_organisation_topics(connection, organisation)
    events = [referral(client_code(2), n) for n in range(3)]
    async with relaying(state_file, connection, organisation, start=False) as (publisher, _, _):
        for event in events:
            await publisher.publish(event)
    # The process "restarts": a new store, outbox and relay over the same file.
    async with relaying(state_file, connection, organisation) as (_, outbox, _):
        records = await wait_for_topic(connection, outbox_topic(organisation.id), 3)
        await eventually(lambda: _unsent_is(outbox, 0), within=_WITHIN, what="all marked sent")
    assert ids_per_key(records) == expected_per_key(events)


async def test_records_accepted_while_kafka_is_down_are_all_sent_in_order_when_it_returns(
    state_file: Path,
) -> None:
    broker = EmbeddedBroker("127.0.0.1", free_port("127.0.0.1"))
    await broker.start()
    try:
        connection = KafkaConnection(broker.bootstrap)
        organisation = fresh_organisation()
        topic = outbox_topic(organisation.id)
        await create_organisation_topics(connection, organisation)
        async with relaying(state_file, connection, organisation) as (publisher, outbox, relay):
            await publisher.publish(referral(client_code(3)))
            await wait_for_topic(connection, topic, 1)

            await broker.stop()
            during = [referral(client_code(c), n) for n in range(4) for c in (4, 5, 6)]
            for event in during:
                await publisher.publish(event)
            depth = await outbox.depth()
            assert depth.unsent == len(during)
            await eventually(
                lambda: relay.status.last_error is not None,
                within=_WITHIN,
                what="the relay reports that Kafka is unreachable",
            )
            await eventually(
                lambda: _oldest_older_than(outbox, depth.oldest_age_seconds),
                within=_WITHIN,
                what="the oldest unsent record ageing",
            )

            # Same port, empty memory: the topics have to be created again, as on a new cluster.
            await broker.start()
            await create_organisation_topics(connection, organisation)
            records = await wait_for_topic(connection, topic, len(during))
            await eventually(lambda: _unsent_is(outbox, 0), within=_WITHIN, what="all sent")
            assert relay.status.last_error is None
            assert (await outbox.depth()).oldest_age_seconds == 0.0
        assert ids_per_key(records) == expected_per_key(during)
    finally:
        await broker.stop()


async def _unsent_is(outbox: LocalOutbox, count: int) -> bool:
    return (await outbox.depth()).unsent == count


async def _oldest_older_than(outbox: LocalOutbox, seconds: float) -> bool:
    depth = await outbox.depth()
    return depth.unsent > 0 and depth.oldest_age_seconds > seconds
