"""Telling a quiet Kafka from a gone one, for a consumer whose polls bring nothing.

aiokafka's consumer retries by itself while no broker answers: its polls bring nothing, as
they do from a topic nobody writes to, and raise nothing. A process that reported only what
its polls raise would say it works for as long as Kafka is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from broker.errors import KafkaUnavailableError
from broker.kafka.connection import KafkaConnection

__all__ = ["KafkaWatch"]

# While Kafka answers, one metadata request per this many seconds of empty polls: a look
# at every poll would ask a shared cluster for its metadata every second, per process.
_LOOK_EVERY_SECONDS: Final = 5.0

KafkaChanged = Callable[[KafkaUnavailableError | None], None]
"""Told when Kafka stops answering (why), and None when it answers again."""


class KafkaWatch:
    """Whether Kafka answers one consumer, looked at when its polls bring nothing.

    While Kafka answers it is asked at most every few seconds; once it does not, at every
    empty poll, so that its return shows within a poll. A look gets ``within_ms`` to be
    answered: give it the consumer's session timeout, after which the group has given the
    consumer's partitions away anyway. Without ``on_change``, read ``unreachable`` after
    each ``polled``.
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        connection: KafkaConnection,
        *,
        within_ms: int,
        on_change: KafkaChanged | None = None,
    ) -> None:
        self._consumer = consumer
        self._connection = connection
        self._within = within_ms / 1000
        self._on_change = on_change
        self._looked_at: float | None = None
        self.unreachable: KafkaUnavailableError | None = None
        """Why Kafka does not answer; None while it does (or before the first look)."""

    async def polled(self, records: int) -> None:
        """Note a poll that brought ``records``; after an empty one, look at Kafka when due."""
        if records:
            self._found(None)  # records came: a broker answered
            return
        now = asyncio.get_running_loop().time()
        due = self._looked_at is None or now - self._looked_at >= _LOOK_EVERY_SECONDS
        if self.unreachable is None and not due:
            return
        self._looked_at = now
        try:
            async with asyncio.timeout(self._within):
                await self._consumer.topics()
        except (KafkaError, OSError, TimeoutError) as exc:
            self._found(self._connection.unavailable(exc))
        else:
            self._found(None)

    def _found(self, unreachable: KafkaUnavailableError | None) -> None:
        changed = (unreachable is None) != (self.unreachable is None)
        self.unreachable = unreachable
        if changed and self._on_change is not None:
            self._on_change(unreachable)
