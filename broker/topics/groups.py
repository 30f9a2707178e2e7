"""How far the groups that read Saattaja's topics have got: committed offsets against ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from broker.errors import TopicError
from broker.kafka import KafkaConnection, open_consumer
from broker.registry import Organisation, OrganisationRegistry
from broker.topics.inspection import partition_counts
from broker.topics.naming import inbox_topic, outbox_topic

__all__ = ["GroupPosition", "group_positions"]


@dataclass(frozen=True, slots=True)
class GroupPosition:
    """Where one consumer group stands on one topic, partition by partition."""

    topic: str
    group: str
    reader: str
    """Who reads with the group: the router, or an organisation's adapter."""
    committed: tuple[int | None, ...]
    """The group's committed offset per partition; None where it has committed none."""
    beginnings: tuple[int, ...]
    ends: tuple[int, ...]

    @property
    def behind(self) -> int:
        """Records written that the group has not committed, over every partition.

        A partition the group never committed on counts from its first record, where a
        group that starts reads from (the router and the adapters read from the earliest).
        """
        return sum(
            max(end - (beginning if committed is None else committed), 0)
            for committed, beginning, end in zip(
                self.committed, self.beginnings, self.ends, strict=True
            )
        )


async def group_positions(
    connection: KafkaConnection,
    registry: OrganisationRegistry,
    *,
    router_group: str,
    adapter_group: Callable[[Organisation], str],
) -> tuple[GroupPosition, ...]:
    """The router's group on each outbox and each adapter's group on its inbox, in registry
    order; a topic not created yet is left out."""
    readers = [
        (topic, group, reader)
        for organisation in registry
        for topic, group, reader in (
            (outbox_topic(organisation.id), router_group, "router"),
            (inbox_topic(organisation.id), adapter_group(organisation), organisation.id),
        )
    ]
    counts = await partition_counts(connection, [topic for topic, _, _ in readers])
    present = [(topic, group, reader) for topic, group, reader in readers if topic in counts]
    if not present:
        return ()
    by_group: dict[str, list[TopicPartition]] = {}
    for topic, group, _ in present:
        by_group.setdefault(group, []).extend(
            TopicPartition(topic, n) for n in range(counts[topic])
        )
    wanted = [partition for partitions in by_group.values() for partition in partitions]
    try:
        async with open_consumer(connection) as consumer:
            beginnings = await consumer.beginning_offsets(wanted)
            ends = await consumer.end_offsets(wanted)
        committed: dict[TopicPartition, int | None] = {}
        for group, partitions in by_group.items():
            committed |= await _committed(connection, group, partitions)
    except KafkaError as exc:
        raise TopicError(
            f"reading the consumer groups' offsets failed ({exc}): check that this Kafka "
            "user may describe the router's and the adapters' groups"
        ) from exc
    positions = []
    for topic, group, reader in present:
        partitions = [TopicPartition(topic, n) for n in range(counts[topic])]
        positions.append(
            GroupPosition(
                topic=topic,
                group=group,
                reader=reader,
                committed=tuple(committed[partition] for partition in partitions),
                beginnings=tuple(beginnings[partition] for partition in partitions),
                ends=tuple(ends[partition] for partition in partitions),
            )
        )
    return tuple(positions)


async def _committed(
    connection: KafkaConnection, group: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int | None]:
    async with open_consumer(connection, group_id=group) as consumer:
        return {partition: await consumer.committed(partition) for partition in partitions}
