"""Reading a topic from its start, as an operator's tool would, without joining a group."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from broker.kafka import KafkaConnection

__all__ = ["read_topic"]


async def read_topic(connection: KafkaConnection, topic: str) -> list[Any]:
    """Every record now in a topic, from the start, without joining a group."""
    consumer = AIOKafkaConsumer(**connection.client_kwargs(), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assigned:
            return []
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
