"""Reading a topic from its start, as an operator's tool would, without joining a group."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from broker.kafka import KafkaConnection
from tests.broker.conditions import eventually

__all__ = ["read_topic"]


async def read_topic(connection: KafkaConnection, topic: str) -> list[Any]:
    """Every record now in a topic, from the start, without joining a group."""
    # Earliest: assign() starts an offset reset in the background, and one that used the
    # default (latest) could land after seek_to_beginning() and skip every record.
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions: set[int] = set()

        async def known() -> bool:
            # A loaded broker may answer one metadata request without the topic; asking
            # again is what a client does, and an empty answer would read as "no records".
            await consumer._client.force_metadata_update()
            partitions.update(consumer.partitions_for_topic(topic) or ())
            return bool(partitions)

        await eventually(known, within=15, what=f"topic {topic} in the broker's metadata")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        await consumer.seek_to_beginning(*assigned)
        records: list[Any] = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
        return records
    finally:
        await consumer.stop()
