"""Which audit stream of a region ships: the one its consumer group gives the audit topic.

The audit topic has one partition, so the group gives it to one member at a time, the first
to join; the other streams stand by and one of them takes over when that member leaves or
dies (after its session times out). The partition is never read through the group: the
stream finds where the topic ends by itself (``last_shipped``), and pauses the partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from aiokafka.errors import KafkaError

from broker.kafka import KafkaConnection, KafkaWatch, stop_consumer
from broker.topics import AUDIT_TOPIC

__all__ = ["StreamOwnership"]

_AUDIT_PARTITION: Final = TopicPartition(AUDIT_TOPIC, 0)


class StreamOwnership(ConsumerRebalanceListener):  # type: ignore[misc]
    """Membership of the audit streams' group, and whether this member holds the topic now.

    A step of shipping runs inside ``shipping()``; a rebalance waits for the step in hand,
    so that the stream losing the topic has sent nothing more once another takes it over.
    """

    def __init__(
        self, connection: KafkaConnection, *, group_id: str, session_timeout_ms: int
    ) -> None:
        self._connection = connection
        self._consumer = AIOKafkaConsumer(
            **connection.client_kwargs(),
            group_id=group_id,
            enable_auto_commit=False,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(session_timeout_ms // 3, 100),
            # Sticky: a stream that joins leaves the topic with the one shipping it, and
            # takes it only when that one leaves or dies.
            partition_assignment_strategy=(_own_sticky_assignor(),),
        )
        self._step = asyncio.Lock()
        self._generation = 0
        # The group's consumer polls at every look of the stream, shipping or standing by.
        self.kafka = KafkaWatch(self._consumer, connection, within_ms=session_timeout_ms)
        """Whether Kafka answers this member, for a stream that finds nothing to send."""

    @property
    def generation(self) -> int:
        """Grows at each change of what this member holds: where the topic ends is read again."""
        return self._generation

    async def start(self) -> None:
        """Join the group; KafkaUnavailableError when Kafka does not answer."""
        self._consumer.subscribe([AUDIT_TOPIC], listener=self)
        try:
            await self._consumer.start()
        except (KafkaError, OSError) as exc:
            await stop_consumer(self._consumer)
            raise self._connection.unavailable(exc) from exc

    async def stop(self) -> None:
        """Leave the group, so that a stream standing by takes over at once."""
        await stop_consumer(self._consumer)

    async def owns(self) -> bool:
        """Whether this member ships now; also tells the group that it is alive."""
        # A poll that fetches nothing (the partition is paused): the group takes a member
        # that stops polling for gone, and its topic goes to another.
        await self._consumer.getmany(timeout_ms=0)
        return _AUDIT_PARTITION in self._consumer.assignment()

    @asynccontextmanager
    async def shipping(self) -> AsyncIterator[None]:
        """Hold off a rebalance while a step of shipping runs."""
        async with self._step:
            yield

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """The group moves the topic: wait for the step in hand, then let it go."""
        async with self._step:
            if _AUDIT_PARTITION in revoked:
                self._generation += 1

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """The group gives this member the topic (or confirms it keeps it)."""
        if _AUDIT_PARTITION in assigned:
            self._consumer.pause(_AUDIT_PARTITION)
            self._generation += 1


def _own_sticky_assignor() -> type[StickyPartitionAssignor]:
    """A sticky assignor for one member: it keeps what the member holds on the class.

    Two streams in one process (the tests run several) sharing the class would each tell
    the group that they hold the topic.
    """
    return type(
        "AuditStreamStickyAssignor",
        (StickyPartitionAssignor,),
        {"member_assignment": None, "generation": StickyPartitionAssignor.DEFAULT_GENERATION_ID},
    )
