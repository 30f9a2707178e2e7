"""A record as consumed from an outbox, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas import KafkaRecord

__all__ = ["IncomingRecord"]


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """One consumed outbox record and its position, for the dead-letter topic's headers."""

    topic: str
    partition: int
    offset: int
    record: KafkaRecord

    @classmethod
    def from_consumer_record(cls, consumed: Any) -> IncomingRecord:
        """Adapt aiokafka's ConsumerRecord; a missing key or value becomes empty bytes."""
        return cls(
            topic=consumed.topic,
            partition=consumed.partition,
            offset=consumed.offset,
            record=KafkaRecord.from_consumed(consumed),
        )
