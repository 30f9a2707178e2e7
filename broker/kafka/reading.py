"""Reading topics from their start (or their last record) to their end, outside any group."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from aiokafka.structs import ConsumerRecord, TopicPartition

from broker.kafka.clients import open_consumer
from broker.kafka.connection import KafkaConnection

__all__ = ["read_partitions"]

# How long a read waits for more before taking what it has as a partition's end.
_QUIET_MS = 300


async def read_partitions(
    connection: KafkaConnection,
    partitions: Sequence[TopicPartition],
    *,
    from_end: bool = False,
) -> AsyncGenerator[list[ConsumerRecord[bytes, bytes]]]:
    """The partitions' records in batches, each batch of one partition and in its order.

    From each partition's start, or with ``from_end`` from its last record (and what comes
    after it while it is read), to its end; an empty partition yields nothing.
    """
    # Earliest: were a seek below to lose a race with the consumer's own reset of its
    # position, it would read from the start, not wait at the end for ever.
    async with open_consumer(connection, auto_offset_reset="earliest") as consumer:
        consumer.assign(list(partitions))
        starts = await consumer.beginning_offsets(list(partitions))
        ends = await consumer.end_offsets(list(partitions))
        unread = [partition for partition in partitions if ends[partition] > starts[partition]]
        if not unread:
            return
        consumer.assign(unread)
        for partition in unread:
            consumer.seek(partition, ends[partition] - 1 if from_end else starts[partition])
        # Read on until nothing more comes, not only up to the end offsets: the embedded
        # broker gives as a partition's end one past the first record of the last batch
        # written, not one past its last record.
        while True:
            fetched = await consumer.getmany(*unread, timeout_ms=_QUIET_MS)
            batches = [messages for messages in fetched.values() if messages]
            for messages in batches:
                yield messages
            if not batches and await _all_read(consumer, ends):
                return


async def _all_read(consumer: Any, ends: Mapping[TopicPartition, int]) -> bool:
    for partition in consumer.assignment():
        if await consumer.position(partition) < ends[partition]:
            return False
    return True
