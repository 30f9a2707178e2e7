"""Producing records and waiting until Kafka has acknowledged every one of them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any, Final, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from broker.kafka.connection import KafkaConnection
from broker.kafka.partitioning import partition_of
from schemas import KafkaRecord

__all__ = ["AcknowledgedSender", "Outbound", "start_producer"]

# aiokafka's default is 16 KiB, three or four events: a partition's next batch then waits
# until the one before has gone to the broker, one produce round trip after another. A
# router batch of a few hundred events sends tens of KiB to each inbox partition. Well
# under the 1 MiB that Kafka's brokers and topics accept by default.
MAX_BATCH_BYTES: Final = 262_144


class Outbound(Protocol):
    """Sends records and returns once Kafka has acknowledged every one of them."""

    async def send_all(self, deliveries: Sequence[tuple[str, KafkaRecord]]) -> None:
        """Produce each ``(topic, record)``, in order, and wait for the acknowledgements."""


async def start_producer(
    connection: KafkaConnection, *, request_timeout_ms: int | None = None
) -> AIOKafkaProducer:
    """A started producer that waits for every in-sync replica; KafkaUnavailableError if none.

    Idempotence stays off: the embedded broker cannot do it, and the event id (the audit
    sequence, on the audit topic) is the idempotency key end to end anyway.
    ``request_timeout_ms`` bounds how long a send waits for Kafka, acknowledgement
    included, before it fails (aiokafka's default: 40 s).
    """
    timeout = {} if request_timeout_ms is None else {"request_timeout_ms": request_timeout_ms}
    producer = AIOKafkaProducer(
        **connection.client_kwargs(),
        acks="all",
        enable_idempotence=False,
        max_batch_size=MAX_BATCH_BYTES,
        **timeout,
    )
    try:
        await producer.start()
    except (KafkaError, OSError) as exc:
        await producer.stop()
        raise connection.unavailable(exc) from exc
    return producer


class AcknowledgedSender:
    """Produces with aiokafka directly, so that the headers go out exactly as given."""

    __slots__ = ("_producer",)

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def send_all(self, deliveries: Sequence[tuple[str, KafkaRecord]]) -> None:
        """Produce each ``(topic, record)``, in order, and wait for the acknowledgements.

        A keyed record goes to the partition Kafka's keyed partitioner picks, as ``send``
        would put it; one without a key to any partition. Records of one partition keep
        their order.
        """
        # Batches built here and handed over whole: send() per record costs twice the CPU
        # (a future and a partitioner call each), and the router sends thousands a second.
        pending: list[asyncio.Future[Any]] = []
        batches: dict[tuple[str, int], Any] = {}
        partitions: dict[str, int] = {}
        for topic, record in deliveries:
            if topic not in partitions:
                partitions[topic] = len(await self._producer.partitions_for(topic))
            partition = _partition(record, partitions[topic])
            batch = batches.get((topic, partition))
            if batch is not None and _appended(batch, record):
                continue
            if batch is not None:  # full: it goes now, and the record starts the next
                pending.append(await self._producer.send_batch(batch, topic, partition=partition))
            batch = batches[topic, partition] = self._producer.create_batch()
            if not _appended(batch, record):
                raise MessageSizeTooLargeError(
                    f"a record of {len(record.value)} bytes for {topic} does not fit in a "
                    "Kafka batch"
                )
        for (topic, partition), batch in batches.items():
            pending.append(await self._producer.send_batch(batch, topic, partition=partition))
        if pending:
            await asyncio.gather(*pending)


def _partition(record: KafkaRecord, partitions: int) -> int:
    """Where ``send`` would put the record: its key's partition, or any for no key."""
    if not record.key:
        return random.randrange(partitions)  # noqa: S311 - spreading records, not secrecy
    return partition_of(record.key, partitions)


def _appended(batch: Any, record: KafkaRecord) -> bool:
    """Whether aiokafka's batch builder took the record (False: the batch is full)."""
    taken = batch.append(
        key=record.key or None, value=record.value, timestamp=None, headers=list(record.headers)
    )
    return taken is not None
