"""Short-lived admin and consumer clients, with connection failures mapped to our error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from broker.kafka.connection import KafkaConnection

__all__ = ["open_admin", "open_consumer", "stop_consumer"]

_log = structlog.get_logger(__name__)

# Long enough for a cluster under load, short enough that a CLI user is not left waiting.
_REQUEST_TIMEOUT_MS = 30_000


@asynccontextmanager
async def open_admin(
    connection: KafkaConnection, *, request_timeout_ms: int = _REQUEST_TIMEOUT_MS
) -> AsyncIterator[Any]:
    """A started AIOKafkaAdminClient; KafkaUnavailableError when nobody answers."""
    admin = AIOKafkaAdminClient(**connection.client_kwargs(), request_timeout_ms=request_timeout_ms)
    await _start(connection, admin)
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def open_consumer(
    connection: KafkaConnection,
    *,
    request_timeout_ms: int = _REQUEST_TIMEOUT_MS,
    auto_offset_reset: str = "latest",
    group_id: str | None = None,
) -> AsyncIterator[Any]:
    """A started consumer for reading offsets and records, never committing.

    With ``group_id`` it can read what that group has committed (``committed``) without
    joining the group: it never subscribes.
    """
    consumer = AIOKafkaConsumer(
        **connection.client_kwargs(),
        group_id=group_id,
        enable_auto_commit=False,
        request_timeout_ms=request_timeout_ms,
        auto_offset_reset=auto_offset_reset,
    )
    await _start(connection, consumer)
    try:
        yield consumer
    finally:
        await stop_consumer(consumer)


async def _start(connection: KafkaConnection, client: Any) -> None:
    try:
        await client.start()
    except (KafkaConnectionError, KafkaError, OSError, TimeoutError) as exc:
        await _close(client)
        raise connection.unavailable(exc) from exc
    except BaseException:
        await _close(client)  # cancelled while starting
        raise


async def _close(client: Any) -> None:
    # A half-started client still holds sockets; close it so nothing leaks.
    await (client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop())


async def stop_consumer(consumer: AIOKafkaConsumer) -> None:
    """Stop ``consumer``, even while no Kafka broker answers.

    aiokafka's stop() then raises the CancelledError of one of its own fetches, cancelled
    while it waited to retry the broker (aio-libs/aiokafka#647): a router's or adapter's stop
    would end there, leaving its producer, database pool and workers as they were. The
    caller's own cancellation is passed on.
    """
    current = asyncio.current_task()
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        if current is not None and current.cancelling():
            raise
        _log.warning("consumer_stopped_while_kafka_gone")
