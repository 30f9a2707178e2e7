"""Where the audit stream stands: the record the audit topic ends with."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from aiokafka.structs import ConsumerRecord, TopicPartition

from broker.audit_stream.messages import shipped_anchor
from broker.errors import AuditStreamError, ConfigurationError
from broker.kafka import KafkaConnection, open_consumer, read_partitions
from broker.topics import AUDIT_TOPIC, partition_counts
from consent.audit import ChainAnchor

__all__ = ["last_shipped", "read_audit_topic", "refuse_emptied_topic", "require_audit_topic"]

_AUDIT_PARTITION = TopicPartition(AUDIT_TOPIC, 0)


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
    """The audit record of the audit topic's last message; None when it never held one.

    Raises AuditStreamError when that message was not written by the audit stream, or when
    the topic held records that its retention has removed since.
    """
    last = None
    async for batch in read_audit_topic(connection, from_end=True):
        last = batch[-1]
    if last is not None:
        return shipped_anchor(tuple(last.headers), offset=last.offset)
    async with open_consumer(connection) as consumer:
        start = (await consumer.beginning_offsets([_AUDIT_PARTITION]))[_AUDIT_PARTITION]
        end = (await consumer.end_offsets([_AUDIT_PARTITION]))[_AUDIT_PARTITION]
    if start < end:  # the first record was written since the topic was read
        return await last_shipped(connection)
    refuse_emptied_topic(end)
    return None


def refuse_emptied_topic(end_offset: int) -> None:
    """AuditStreamError if an audit topic that holds no record has had records written.

    Taken as never shipped, the whole log would be shipped again, and a log cut from its
    end while the topic was empty would pass unseen: the topic was the anchor.
    """
    if end_offset > 0:
        raise AuditStreamError(
            f"the audit topic {AUDIT_TOPIC} has had {end_offset} records written but holds "
            "none now: its retention removed them, so where the stream stopped cannot be "
            "read from it. Keep its records for ever (kafka-configs.sh --alter --entity-type "
            f"topics --entity-name {AUDIT_TOPIC} --add-config "
            "retention.ms=-1,retention.bytes=-1), then run `saattaja audit verify` with the "
            "last anchor you kept, delete the topic and create it again (`saattaja topics "
            "create`): the stream then ships the whole log again from its first record"
        )


async def read_audit_topic(
    connection: KafkaConnection, *, from_end: bool = False
) -> AsyncGenerator[list[ConsumerRecord[bytes, bytes]]]:
    """The audit topic's messages in batches, from its start (or its last one) to its end."""
    async with aclosing(
        read_partitions(connection, [_AUDIT_PARTITION], from_end=from_end)
    ) as batches:
        async for batch in batches:
            yield batch
