"""Which partition a client's events are on: the one Kafka's keyed partitioner picks."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

__all__ = ["partition_of"]


def partition_of(key: bytes, partitions: int) -> int:
    """The partition of a topic with ``partitions`` partitions that records keyed ``key`` go to.

    Kafka's default for keyed records (murmur2 of the key), as aiokafka, FastStream and the
    Java client produce them: the adapters' outbox records are keyed by client pseudonym.
    """
    return int(DefaultPartitioner()(key, list(range(partitions)), None))
