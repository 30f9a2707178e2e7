"""Which partition a keyed record goes to: the one Kafka's keyed partitioner picks."""

from __future__ import annotations

from functools import lru_cache

from aiokafka.partitioner import DefaultPartitioner

__all__ = ["partition_of"]


# The router asks for every event it routes, and a client's key comes again and again;
# murmur2 in Python costs more than the lookup.
@lru_cache(maxsize=65_536)
def partition_of(key: bytes, partitions: int) -> int:
    """The partition of a topic with ``partitions`` partitions that records keyed ``key`` go to.

    Kafka's default for keyed records (murmur2 of the key), as aiokafka, FastStream and the
    Java client produce them: the adapters' outbox records are keyed by client pseudonym.
    """
    return int(DefaultPartitioner()(key, list(range(partitions)), None))
