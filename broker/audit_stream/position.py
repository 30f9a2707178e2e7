"""Where the audit stream stands: the record the audit topic ends with."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from aiokafka.structs import ConsumerRecord, TopicPartition

from broker.audit_stream.messages import shipped_anchor
from broker.errors import ConfigurationError
from broker.kafka import KafkaConnection, open_consumer
from broker.topics import AUDIT_TOPIC, partition_counts
from consent.audit import ChainAnchor

__all__ = ["last_shipped", "read_audit_topic", "require_audit_topic"]

_AUDIT_PARTITION = TopicPartition(AUDIT_TOPIC, 0)
# How long a read waits for more before taking what it has as the topic's end.
_QUIET_MS = 300


async def require_audit_topic(connection: KafkaConnection) -> None:
    """ConfigurationError unless the audit topic exists with exactly one partition."""
    counts = await partition_counts(connection, [AUDIT_TOPIC])
    if AUDIT_TOPIC not in counts:
        raise ConfigurationError(
            f"the topic {AUDIT_TOPIC} does not exist at {connection.bootstrap}: create it with "
            "`saattaja topics create` (one partition), or by hand with one partition"
        )
    if counts[AUDIT_TOPIC] != 1:
        raise ConfigurationError(
            f"the topic {AUDIT_TOPIC} has {counts[AUDIT_TOPIC]} partitions; it carries one hash "
            "chain, which its readers check in order, so it needs exactly one. Delete it and "
            "create it again with one partition (`saattaja topics create` does)"
        )


async def last_shipped(connection: KafkaConnection) -> ChainAnchor | None:
    """The audit record of the audit topic's last message; None when it holds none.

    Raises AuditStreamError when that message was not written by the audit stream.
    """
    last = None
    async for batch in read_audit_topic(connection, from_end=True):
        last = batch[-1]
    if last is None:
        return None
    return shipped_anchor(tuple(last.headers), offset=last.offset)


async def read_audit_topic(
    connection: KafkaConnection, *, from_end: bool = False
) -> AsyncGenerator[list[ConsumerRecord[bytes, bytes]]]:
    """The audit topic's messages in batches, from its start (or its last one) to its end."""
    # Earliest: were the seek below to lose a race with the consumer's own reset of its
    # position, it would read from the start, not wait at the end for ever.
    async with open_consumer(connection, auto_offset_reset="earliest") as consumer:
        consumer.assign([_AUDIT_PARTITION])
        start = (await consumer.beginning_offsets([_AUDIT_PARTITION]))[_AUDIT_PARTITION]
        end = (await consumer.end_offsets([_AUDIT_PARTITION]))[_AUDIT_PARTITION]
        if end <= start:
            return
        consumer.seek(_AUDIT_PARTITION, end - 1 if from_end else start)
        # Read on until nothing more comes, not only up to ``end``: the embedded broker
        # gives as the end one past the first record of the last batch written, not one
        # past its last record.
        while True:
            fetched = await consumer.getmany(_AUDIT_PARTITION, timeout_ms=_QUIET_MS)
            messages = fetched.get(_AUDIT_PARTITION, [])
            if messages:
                yield messages
            elif await consumer.position(_AUDIT_PARTITION) >= end:
                return
