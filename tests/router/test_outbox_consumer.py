"""The router's outbox consumer reads the next batch ahead while the batch in hand is routed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from broker.kafka import KafkaConnection
from broker.registry import OrganisationRegistry
from broker.router import consumer as consumer_module
from broker.router.consumer import OutboxConsumer
from broker.router.incoming import IncomingRecord
from broker.topics import create_topics, outbox_topic
from schemas import KafkaRecord
from tests.broker.conditions import eventually
from tests.router.harness import suffixed_registry


@dataclass
class _Routing:
    """A route that holds each batch until the test lets it go."""

    batches: list[list[bytes]] = field(default_factory=list)
    read_ahead: list[list[bytes]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def route(self, batch: list[IncomingRecord]) -> None:
        self.batches.append([incoming.record.value for incoming in batch])
        await self.release.wait()
        self.release.clear()

    def told(self, records: Sequence[KafkaRecord]) -> None:
        self.read_ahead.append([record.value for record in records])


@dataclass
class _Outbox:
    topic: str
    producer: AIOKafkaProducer

    async def publish(self, value: bytes) -> None:
        await self.producer.send_and_wait(self.topic, value, key=b"one-client")


@pytest.fixture
async def outbox(
    kafka_bootstrap: str, registry: OrganisationRegistry
) -> AsyncIterator[tuple[_Outbox, AIOKafkaConsumer]]:
    connection = KafkaConnection(kafka_bootstrap)
    organisation = next(iter(suffixed_registry(registry)))
    await create_topics(connection, OrganisationRegistry([organisation]), 1)
    producer = AIOKafkaProducer(**connection.client_kwargs())
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(),
        group_id=f"test-outbox-consumer-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
    )
    await producer.start()
    try:
        yield _Outbox(outbox_topic(organisation.id), producer), consumer
    finally:
        await producer.stop()
        await consumer.stop()


async def test_records_arriving_while_a_batch_is_routed_are_read_ahead_as_they_arrive(
    outbox: tuple[_Outbox, AIOKafkaConsumer],
) -> None:
    topic, consumer = outbox
    routing = _Routing()
    outboxes = OutboxConsumer(consumer, batch_size=10, read_ahead=routing.told)
    outboxes.subscribe([topic.topic])
    await consumer.start()
    consuming = asyncio.create_task(outboxes.run(routing.route))
    try:
        await topic.publish(b"first")
        await eventually(lambda: routing.batches == [[b"first"]], within=30, what="first batch")
        await topic.publish(b"second")
        await eventually(
            lambda: routing.read_ahead[-1] == [b"second"], within=30, what="second read ahead"
        )

        await topic.publish(b"third")

        # Read ahead with what came before it, while the first batch is still in hand.
        await eventually(
            lambda: routing.read_ahead[-1] == [b"second", b"third"],
            within=30,
            what="third read ahead with the second",
        )
        assert routing.batches == [[b"first"]]
        routing.release.set()
        await eventually(
            lambda: routing.batches[1:] == [[b"second", b"third"]],
            within=30,
            what="the second batch",
        )
    finally:
        routing.release.set()
        await outboxes.stop(consuming, grace=10)


async def test_a_read_ahead_waiting_for_more_gives_way_once_the_batch_in_hand_is_routed(
    outbox: tuple[_Outbox, AIOKafkaConsumer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fetch that waited to its end would hold the next batch far beyond the test's patience.
    monkeypatch.setattr(consumer_module, "_FETCH_TIMEOUT_MS", 600_000)
    topic, consumer = outbox
    routing = _Routing()
    outboxes = OutboxConsumer(consumer, batch_size=10, read_ahead=routing.told)
    outboxes.subscribe([topic.topic])
    await consumer.start()
    consuming = asyncio.create_task(outboxes.run(routing.route))
    try:
        await topic.publish(b"first")
        await eventually(lambda: len(routing.batches) == 1, within=30, what="first batch")
        await topic.publish(b"second")
        await eventually(lambda: len(routing.read_ahead) == 2, within=30, what="read ahead")

        routing.release.set()

        await eventually(lambda: len(routing.batches) == 2, within=30, what="second batch")
        assert routing.batches[1] == [b"second"]
        routing.release.set()
        await topic.publish(b"third")
        await eventually(lambda: len(routing.batches) == 3, within=30, what="third batch")
        assert routing.batches[2] == [b"third"]
    finally:
        routing.release.set()
        await outboxes.stop(consuming, grace=10)
