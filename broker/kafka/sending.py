"""Producing records and waiting until Kafka has acknowledged every one of them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from broker.kafka.connection import KafkaConnection
from schemas import KafkaRecord

__all__ = ["AcknowledgedSender", "Outbound", "start_producer"]


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
        **connection.client_kwargs(), acks="all", enable_idempotence=False, **timeout
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
        """Produce each ``(topic, record)``, in order, and wait for the acknowledgements."""
        # Queue everything first so that aiokafka batches it, then wait for every
        # acknowledgement; records with one key go to one partition in the order queued.
        pending = [
            await self._producer.send(
                topic, record.value, key=record.key or None, headers=list(record.headers)
            )
            for topic, record in deliveries
        ]
        if pending:
            await asyncio.gather(*pending)
